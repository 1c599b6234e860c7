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

  function open(cell) {
    if (!cell) { return; }
    cell.focus();
    $(cell).editable('show');
  }

  /* x-editable announces its editor with triggerHandler (no bubbling): bind on each cell. */
  $(function () {
    var cells = $(CELL);
    cells.on('shown', function (e) {
      if (e.namespace) { return; }  // Bootstrap's own popover event, not x-editable's
      editing = this;
    });
    cells.on('hidden', function (e, reason) {
      if (e.namespace) { return; }
      var cell = this, move = pending;
      pending = null;
      editing = null;
      if (move && (reason === 'save' || reason === 'nochange')) {
        setTimeout(function () { open(neighbour(cell, move)); }, 0);
      } else {
        cell.focus();  // Esc (or a click elsewhere): the focus stays on the cell
      }
    });
  });

  /* Keys inside an open editor: Enter and Tab save and move; Esc is x-editable's own cancel. */
  document.addEventListener('keydown', function (e) {
    if (!editing || (e.key !== 'Enter' && e.key !== 'Tab')) { return; }
    var form = $(e.target).closest('form.editableform');
    if (!form.length) { return; }
    e.preventDefault();
    e.stopPropagation();
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
