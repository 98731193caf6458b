// ipywidgets' html-manager (the script that renders saved widgets on this
// static site) typesets widget labels with the MathJax 2 call
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]). The site uses
// MathJax 3, which has no Hub, so every label threw a TypeError. Give
// MathJax 3 a Hub whose Queue forwards to typesetPromise.
(function () {
  if (typeof window.MathJax !== "object") {
    return; // a page without math loads no MathJax, and the widgets skip typesetting
  }
  var hub = {
    Queue: function (job) {
      var element = Array.isArray(job) ? job[2] : undefined;
      var run = function () {
        return window.MathJax.typesetPromise(element ? [element] : undefined);
      };
      if (window.MathJax.typesetPromise) {
        run().catch(function () {});
      } else if (window.MathJax.startup && window.MathJax.startup.promise) {
        window.MathJax.startup.promise.then(run).catch(function () {});
      }
    },
  };
  // Before MathJax 3 starts, window.MathJax is the configuration object;
  // MathJax then replaces it, so install the Hub again once it is ready.
  window.MathJax.Hub = hub;
  var startup = window.MathJax.startup || (window.MathJax.startup = {});
  var previousReady = startup.ready;
  startup.ready = function () {
    if (previousReady) {
      previousReady();
    } else {
      window.MathJax.startup.defaultReady();
    }
    window.MathJax.Hub = hub;
  };
})();
