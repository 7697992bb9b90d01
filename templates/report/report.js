// Filter, sort and page the findings table in place: rows are rendered once and only hidden or
// moved, and only one page of them is laid out, so a page with thousands of findings stays responsive.
(function () {
  'use strict';
  var table = document.getElementById('findings');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var rule = document.getElementById('filter-rule');
  var status = document.getElementById('filter-status');
  var path = document.getElementById('filter-path');
  var count = document.getElementById('findings-count');
  var pageSize = document.getElementById('page-size');
  var pages = document.getElementById('pages');
  var previous = document.getElementById('page-previous');
  var next = document.getElementById('page-next');
  var first = 0;

  function apply() {
    var wantRule = rule.value;
    var wantStatus = status.value;
    var wantPath = path.value.trim().toLowerCase();
    var size = Number(pageSize.value) || rows.length;
    var matching = rows.filter(function (row) {
      return (!wantRule || row.dataset.rule === wantRule) &&
        (!wantStatus || row.dataset.status === wantStatus) &&
        (!wantPath || row.dataset.path.toLowerCase().indexOf(wantPath) !== -1);
    });
    if (first >= matching.length) { first = Math.max(0, matching.length - size); }
    first -= first % size;
    var shown = new Set(matching.slice(first, first + size));
    rows.forEach(function (row) {
      var visible = shown.has(row);
      if (row.hidden === visible) { row.hidden = !visible; }
    });
    var text = matching.length + ' of ' + rows.length + ' findings shown';
    if (matching.length > size) {
      text += '; rows ' + (first + 1) + '–' + Math.min(first + size, matching.length);
    }
    count.textContent = text;
    pages.hidden = matching.length <= size;
    previous.disabled = first === 0;
    next.disabled = first + size >= matching.length;
  }

  function restart() {
    first = 0;
    apply();
  }

  var keys = {
    path: function (row) { return [row.dataset.path, Number(row.dataset.line)]; },
    rule: function (row) { return [row.dataset.rule, row.dataset.path, Number(row.dataset.line)]; },
    severity: function (row) { return [-Number(row.dataset.severity), row.dataset.path, Number(row.dataset.line)]; },
    status: function (row) { return [row.dataset.status, row.dataset.path, Number(row.dataset.line)]; }
  };

  function compare(a, b) {
    for (var i = 0; i < a.length; i += 1) {
      if (a[i] < b[i]) { return -1; }
      if (a[i] > b[i]) { return 1; }
    }
    return 0;
  }

  function sortBy(button) {
    var header = button.parentNode;
    var descending = header.getAttribute('aria-sort') === 'ascending';
    var key = keys[button.dataset.sort];
    var decorated = rows.map(function (row) { return [key(row), row]; });
    decorated.sort(function (a, b) { return descending ? compare(b[0], a[0]) : compare(a[0], b[0]); });
    rows = decorated.map(function (pair) { return pair[1]; });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) { fragment.appendChild(row); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) { cell.removeAttribute('aria-sort'); });
    header.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    restart();
  }

  Array.prototype.forEach.call(table.querySelectorAll('th button[data-sort]'), function (button) {
    button.addEventListener('click', function () { sortBy(button); });
  });
  [rule, status, pageSize].forEach(function (control) { control.addEventListener('change', restart); });
  path.addEventListener('input', restart);
  previous.addEventListener('click', function () { first -= Number(pageSize.value) || rows.length; apply(); });
  next.addEventListener('click', function () { first += Number(pageSize.value) || rows.length; apply(); });
  document.getElementById('filters').addEventListener('reset', function () { setTimeout(restart, 0); });
  document.getElementById('filters').addEventListener('submit', function (event) { event.preventDefault(); });
  Array.prototype.forEach.call(document.querySelectorAll('#violation-files button[data-path]'), function (button) {
    button.addEventListener('click', function () {
      path.value = button.dataset.path;
      status.value = 'violation';
      restart();
      table.scrollIntoView();
    });
  });
}());
