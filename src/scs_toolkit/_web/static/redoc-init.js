// Starts ReDoc on /redoc from a file (the page has no inline script); no web fonts from elsewhere.
(function () {
  var element = document.getElementById("redoc");
  Redoc.init(element.dataset.openapi, { hideDownloadButton: false, theme: { typography: { fontFamily: "system-ui, sans-serif", headings: { fontFamily: "system-ui, sans-serif" } } } }, element);
})();
