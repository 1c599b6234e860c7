/* The sales order form's helps (README "Sales"): the list price fills in when a product is
   picked, line and order totals add up as one types, the picked customer's points balance is
   shown, and an express order's recipient and address come from the customer when empty.
   The type-ahead's answers carry these facts ([id, label, {price} or {points, name, ...}]).
   The server stays the judge: it prices empty lines, recomputes totals and refuses
   over-redeeming on save. Local file, no CDN. */
(function () {
  "use strict";
  var helps = document.getElementById("mc-order-helps");
  if (!helps || !window.jQuery) { return; }
  var $ = window.jQuery;
  var facts = {}; // "loader name:id" -> facts about that row
  var perPoint = parseFloat(helps.getAttribute("data-yuan-per-point")) || 0;
  var customer = document.getElementById("customer");

  function loaderName(url) {
    var m = /[?&]name=([^&]*)/.exec(url || "");
    return m ? decodeURIComponent(m[1]) : "";
  }
  function remember(name, entries) {
    entries.forEach(function (e) {
      if (e && e.length > 2) { facts[name + ":" + e[0]] = e[2]; }
    });
  }
  function factsOf(input) {
    return input && input.value ? facts[loaderName(input.getAttribute("data-url")) + ":" + input.value] : null;
  }
  $(document).ajaxSuccess(function (event, xhr, settings, data) {
    if (/\/ajax\/lookup\//.test(settings.url || "") && Array.isArray(data)) {
      remember(loaderName(settings.url), data);
    }
  });
  document.querySelectorAll("input[data-json][data-url]").forEach(function (el) {
    try { remember(loaderName(el.getAttribute("data-url")), [JSON.parse(el.getAttribute("data-json"))]); } catch (e) { /* no facts */ }
  });

  function cents(text) {
    var v = parseFloat(String(text == null ? "" : text).replace(/[,¥\s]/g, ""));
    return isFinite(v) ? Math.round(v * 100) : null;
  }
  function money(c) {
    var abs = Math.abs(c), yuan = Math.floor(abs / 100).toLocaleString("en-US");
    return (c < 0 ? "-" : "") + "¥" + yuan + "." + String(abs % 100).padStart(2, "0");
  }
  function value(id) { var el = document.getElementById(id); return el ? el.value : ""; }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("#lines > .inline-field-list > .inline-field"));
  }
  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }

  function lineCents(row) {
    var removed = row.querySelector("input[name^='del-']");
    var product = field(row, "product"), gift = field(row, "is_gift");
    if ((removed && removed.checked) || !product || !product.value || (gift && gift.checked)) { return 0; }
    var unit = cents(field(row, "unit_price") && field(row, "unit_price").value);
    if (unit === null) { var f = factsOf(product); unit = f ? cents(f.price) : 0; }
    var qty = parseInt(field(row, "quantity") && field(row, "quantity").value, 10);
    return qty > 0 ? unit * qty : 0;
  }
  function totalCell(row) {
    var cell = row.querySelector(".mc-line-total");
    if (!cell) {
      cell = document.createElement("div");
      cell.className = "mc-line-total";
      var label = document.createElement("span");
      label.className = "col-form-label";
      label.textContent = helps.getAttribute("data-text-amount");
      var sum = document.createElement("span");
      sum.setAttribute("data-line-total", "");
      cell.appendChild(label);
      cell.appendChild(sum);
      var form = row.querySelector(".inline-form-field");
      if (form) { form.appendChild(cell); }
      var small = row.querySelector("legend small");  // "Lines #1": the row says it already
      if (small && small.firstChild && small.firstChild.nodeType === 3) { small.firstChild.textContent = ""; }
    }
    return cell.querySelector("[data-line-total]");
  }
  function showBalance() {
    var box = document.getElementById("mc-points-balance"), f = factsOf(customer);
    if (!box) { return; }
    if (!f) { box.textContent = ""; return; }
    var asked = parseInt(value("points_redeemed"), 10) || 0, over = asked > f.points;
    box.textContent = helps.getAttribute("data-text-balance").replace("__N__", f.points) +
      (over ? " " + helps.getAttribute("data-text-over").replace("__N__", f.points) : "");
    box.classList.toggle("text-danger", over);
    box.classList.toggle("text-muted", !over);
  }
  function setSum(name, text) {
    var cell = document.querySelector("#mc-order-sums [data-sum='" + name + "']");
    if (cell) { cell.textContent = text; }
  }
  function recompute() {
    var subtotal = 0;
    rows().forEach(function (row) {
      var c = lineCents(row);
      totalCell(row).textContent = money(c);
      subtotal += c;
    });
    var discount = cents(value("discount")) || 0;
    var points = Math.round((parseInt(value("points_redeemed"), 10) || 0) * perPoint * 100);
    setSum("subtotal", money(subtotal));
    setSum("discount", money(-discount));
    setSum("points", money(-points));
    setSum("total", money(Math.max(0, subtotal - discount - points)));
    showBalance();
  }
  function fillDelivery() {
    var f = factsOf(customer);
    if (!f || value("delivery") !== "express") { return; }
    [["recipient", f.name], ["recipient_phone", f.phone], ["address", f.address]].forEach(function (p) {
      var el = document.getElementById(p[0]);
      if (el && !el.value.trim() && p[1]) { el.value = p[1]; }
    });
  }

  // Place the sums under the lines and the balance under the points box.
  var lines = document.getElementById("lines");
  if (lines) { lines.parentNode.insertBefore(document.getElementById("mc-order-sums"), lines.nextSibling); }
  var points = document.getElementById("points_redeemed");
  if (points) { points.parentNode.insertBefore(document.getElementById("mc-points-balance"), points.nextSibling); }

  $(document).on("change", "#lines input[name$='-product']", function () {
    var price = field($(this).closest(".inline-field")[0], "unit_price"), f = factsOf(this);
    if (price && f && (price.value === "" || price.getAttribute("data-filled") === price.value)) {
      price.value = f.price;
      price.setAttribute("data-filled", f.price);
    }
    recompute();
  });
  $(customer).on("change", function () { fillDelivery(); recompute(); });
  $("#delivery").on("change", fillDelivery);
  $(document).on("input change", "#lines input, #discount, #points_redeemed", recompute);
  $(document).on("click", "#lines-button, #lines .inline-remove-field", function () { setTimeout(recompute, 0); });
  recompute();
}());
