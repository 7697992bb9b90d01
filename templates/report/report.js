// Filter and sort the findings table in place: rows are rendered once and only hidden or moved,
// so a page with thousands of findings stays responsive.
(function () {
  'use strict';
  var table = document.getElementById('findings');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var rule = document.getElementById('filter-rule');
  var status = document.getElementById('filter-status');
  var path = document.getElementById('filter-path');
  var count = document.getElementById('findings-count');

  function apply() {
    var wantRule = rule.value;
    var wantStatus = status.value;
    var wantPath = path.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var visible = (!wantRule || row.dataset.rule === wantRule) &&
        (!wantStatus || row.dataset.status === wantStatus) &&
        (!wantPath || row.dataset.path.toLowerCase().indexOf(wantPath) !== -1);
      row.hidden = !visible;
      if (visible) { shown += 1; }
    });
    count.textContent = shown + ' of ' + rows.length + ' findings shown';
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
  }

  Array.prototype.forEach.call(table.querySelectorAll('th button[data-sort]'), function (button) {
    button.addEventListener('click', function () { sortBy(button); });
  });
  [rule, status].forEach(function (control) { control.addEventListener('change', apply); });
  path.addEventListener('input', apply);
  document.getElementById('filters').addEventListener('reset', function () { setTimeout(apply, 0); });
  document.getElementById('filters').addEventListener('submit', function (event) { event.preventDefault(); });
  Array.prototype.forEach.call(document.querySelectorAll('#violation-files button[data-path]'), function (button) {
    button.addEventListener('click', function () {
      path.value = button.dataset.path;
      status.value = 'violation';
      apply();
      table.scrollIntoView();
    });
  });
}());
