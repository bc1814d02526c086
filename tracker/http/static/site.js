// The only script of the pages (no inline scripts, for the Content-Security-Policy):
// a "打印" link prints the page. Everything else works without JavaScript.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-print]");
  if (link) {
    event.preventDefault();
    window.print();
  }
});
