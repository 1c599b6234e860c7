/* Keyboard and paste for inline-editable grids (README "Keyboard and paste").
 *
 * Keyboard: an editable cell is a link, so Tab reaches it and Enter opens its editor. In the
 * editor, Enter saves and opens the same column in the next row, Tab saves and opens the next
 * editable cell (end of row: the first one of the next row), Shift+Tab goes back, Esc cancels.
 *
 * Paste: a block copied from a spreadsheet (tab-separated, one line a row) pasted while an
 * editable cell has the focus (or its editor is open) goes to the server in one request, from
 * that cell rightwards and downwards. Each cell comes back saved or refused; refused cells are
 * marked with the reason as their tooltip and a summary is shown above the grid.
 *
 * Foreign-key cells (data-role "x-editable-fk"): the editor is a type-ahead on the grid's own
 * scoped lookup (never a list of a whole table). Typing lists the first matches; the arrow keys
 * move the highlight, Enter or Tab picks the highlighted row and saves (then moves on as in any
 * cell), a click picks and saves, Esc cancels. A picked row is sent by its id, typed text as is
 * (the server reads it as a row's exact label).
 */
(function ($) {
  'use strict';
  if (!$) { return; }
  var CELL = 'a[data-role^="x-editable"]';
  var config = document.getElementById('mc-grid-keys');
  var pending = null;  // where to go once the open editor has saved: 'down', 'next', 'prev'
  var editing = null;  // the cell whose editor is open

  function rowsOf(table) {
    return $(table).find('tbody > tr').toArray().map(function (tr) {
      return $(tr).find(CELL).toArray();
    }).filter(function (cells) { return cells.length; });
  }

  function position(cell) {
    var rows = rowsOf($(cell).closest('table'));
    for (var r = 0; r < rows.length; r++) {
      var c = rows[r].indexOf(cell);
      if (c >= 0) { return {rows: rows, r: r, c: c}; }
    }
    return null;
  }

  function neighbour(cell, move) {
    var at = position(cell);
    if (!at) { return null; }
    var rows = at.rows, r = at.r, c = at.c;
    if (move === 'down') {
      var below = rows[r + 1] || [];
      var name = cell.getAttribute('name');
      return below.filter(function (a) { return a.getAttribute('name') === name; })[0] || null;
    }
    if (move === 'next') {
      return rows[r][c + 1] || (rows[r + 1] || [])[0] || null;
    }
    if (c > 0) { return rows[r][c - 1]; }
    var above = rows[r - 1] || [];
    return above[above.length - 1] || null;
  }

  /* ---- foreign-key cells: the type-ahead ------------------------------------------------- */
  var fk = null;  // the open foreign-key editor: {cell, input, list, items, active, picked}

  function fkHighlight(index) {
    if (!fk.items.length) { return; }
    fk.active = (index + fk.items.length) % fk.items.length;
    fk.list.children().removeClass('active').attr('aria-selected', 'false')
      .eq(fk.active).addClass('active').attr('aria-selected', 'true');
  }

  function fkPick(index) {
    var item = fk.items[index];
    if (!item) { return; }
    fk.picked = {id: String(item[0]), label: item[1]};
    fk.input.val(item[1]);
    fk.list.empty().addClass('d-none');
    fk.items = [];
  }

  function fkShow(items) {
    fk.items = items;
    fk.active = -1;
    fk.list.empty().toggleClass('d-none', false);
    if (!items.length) {
      $('<div class="list-group-item small text-muted"/>').text(fk.cell.dataset.nothing)
        .appendTo(fk.list);
      return;
    }
    items.forEach(function (item, i) {
      $('<button type="button" class="list-group-item list-group-item-action py-1" role="option"/>')
        .text(item[1]).attr('data-pick', i).appendTo(fk.list);
    });
    fkHighlight(0);
  }

  function fkSearch() {
    var text = fk.input.val().trim(), mine = fk;
    if (fk.picked && text !== fk.picked.label) { fk.picked = null; }
    fk.active = -1;  // a highlight from an older search is never picked
    fk.list.children().removeClass('active');
    clearTimeout(fk.timer);
    if (!text) { fk.items = []; fk.list.empty().addClass('d-none'); return; }
    fk.timer = setTimeout(function () {
      var url = mine.cell.dataset.lookup + '&query=' + encodeURIComponent(text);
      fetch(url, {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          if (fk === mine && mine.input.val().trim() === text) { fkShow(items); }
        });
    }, 150);
  }

  function fkOpen(cell) {
    var input = $(cell).data('editable').input.$input;
    var list = $('<div class="list-group mc-fk-list d-none" role="listbox"/>');
    input.attr({placeholder: cell.dataset.placeholder, autocomplete: 'off'}).after(list);
    fk = {cell: cell, input: input, list: list, items: [], active: -1, picked: null};
    input.on('input', fkSearch);
    list.on('mousedown', 'button', function (e) { e.preventDefault(); });
    list.on('click', 'button', function () {
      fkPick(Number(this.getAttribute('data-pick')));
      input.closest('form').trigger('submit');
    });
  }

  /* What an inline edit of a foreign key posts: the picked row's id, else the typed text. */
  function fkParams(params) {
    var sent = {list_form_pk: params.pk};
    var picked = fk && fk.cell === this ? fk.picked : null;
    sent[params.name] = picked && picked.label === params.value ? picked.id : params.value;
    if ($(this).data('csrf')) { sent.csrf_token = $(this).data('csrf'); }
    return sent;
  }

  function open(cell) {
    if (!cell) { return; }
    cell.focus();
    $(cell).editable('show');
  }

  /* x-editable announces its editor with triggerHandler (no bubbling): bind on each cell. */
  $(function () {
    $('a[data-role="x-editable-fk"]').each(function () {
      $(this).editable({params: fkParams, emptytext: this.dataset.empty, clear: false});
    });
    var cells = $(CELL);
    cells.on('shown', function (e) {
      if (e.namespace) { return; }  // Bootstrap's own popover event, not x-editable's
      editing = this;
      if (this.getAttribute('data-role') === 'x-editable-fk') { fkOpen(this); }
    });
    cells.on('hidden', function (e, reason) {
      if (e.namespace) { return; }
      var cell = this, move = pending;
      pending = null;
      editing = null;
      if (fk && fk.cell === cell) { clearTimeout(fk.timer); fk = null; }
      if (move && (reason === 'save' || reason === 'nochange')) {
        setTimeout(function () { open(neighbour(cell, move)); }, 0);
      } else {
        cell.focus();  // Esc (or a click elsewhere): the focus stays on the cell
      }
    });
  });

  /* Keys inside an open editor: Enter and Tab save and move; Esc is x-editable's own cancel. */
  document.addEventListener('keydown', function (e) {
    if (!editing) { return; }
    var form = $(e.target).closest('form.editableform');
    if (!form.length) { return; }
    var typing = fk && fk.cell === editing;
    if (typing && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      fkHighlight(fk.active + (e.key === 'ArrowDown' ? 1 : -1));
      return;
    }
    if (e.key !== 'Enter' && e.key !== 'Tab') { return; }
    e.preventDefault();
    e.stopPropagation();
    if (typing && fk.active >= 0) { fkPick(fk.active); }
    pending = e.key === 'Enter' ? 'down' : (e.shiftKey ? 'prev' : 'next');
    form.trigger('submit');
  }, true);

  /* ---- paste ---------------------------------------------------------------------------- */
  function parse(text) {
    var lines = text.replace(/\r\n?/g, '\n').split('\n');
    if (lines.length && lines[lines.length - 1] === '') { lines.pop(); }
    return lines.map(function (line) { return line.split('\t'); });
  }

  function summary(text, refused) {
    var box = $('#mc-paste-summary');
    box.removeClass('d-none alert-success alert-warning')
      .addClass(refused.length ? 'alert-warning' : 'alert-success').empty();
    $('<div/>').text(text).appendTo(box);
    if (refused.length) {
      var list = $('<ul class="mb-0"/>').appendTo(box);
      refused.forEach(function (m) { $('<li/>').text(m).appendTo(list); });
    }
  }

  function show(cells, results) {
    var refused = [];
    results.forEach(function (result, i) {
      var cell = cells[i], td = $(cell).closest('td');
      td.removeClass('mc-refused mc-pasted');
      if (result.ok) {
        td.addClass('mc-pasted').removeAttr('title');
        if ($(cell).data('display') === false) {
          $(cell).attr('data-value', result.value).siblings('.mc-name').text(result.value);
        } else {
          $(cell).editable('setValue', result.value);
        }
      } else {
        td.addClass('mc-refused').attr('title', result.message);
        refused.push(result.message);
      }
    });
    var done = results.length - refused.length;
    summary(config.dataset.done.replace('__OK__', done).replace('__NO__', refused.length), refused);
  }

  document.addEventListener('paste', function (e) {
    var start = editing || ($(document.activeElement).is(CELL) ? document.activeElement : null);
    var data = e.clipboardData || window.clipboardData;
    var text = data ? data.getData('text') : '';
    if (!start || !config || !/[\t\n]/.test(text.replace(/\r?\n$/, ''))) { return; }
    e.preventDefault();
    if (editing) { $(editing).editable('hide'); }
    var at = position(start), cells = [], payload = [];
    parse(text).forEach(function (values, i) {
      var row = at.rows[at.r + i] || [];
      values.forEach(function (value, j) {
        var cell = row[at.c + j];
        if (!cell) { return; }
        cells.push(cell);
        payload.push([cell.getAttribute('data-pk'), cell.getAttribute('name'), value]);
      });
    });
    if (!payload.length) { return; }
    var body = new FormData();
    body.append('csrf_token', start.getAttribute('data-csrf') || '');
    body.append('cells', JSON.stringify(payload));
    fetch(config.dataset.url, {method: 'POST', body: body, credentials: 'same-origin'})
      .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, body: j}; }); })
      .then(function (answer) {
        if (!answer.ok) { summary(answer.body.error || config.dataset.failed, []); return; }
        show(cells, answer.body.results);
      })
      .catch(function () { summary(config.dataset.failed, []); });
  });
}(window.jQuery));
