// MathJax reads this before it loads (docs/javascripts/mathjax/tex-svg.js, vendored: the
// site renders formulas offline). pymdownx.arithmatex (generic mode) wraps formulas in
// elements of class "arithmatex" with \( \) and \[ \] delimiters; typeset only those.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
  svg: { fontCache: "global" },
};
