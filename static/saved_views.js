// The column chooser: move a column up or down; the form then sends the columns in this order.
document.addEventListener("click", function (event) {
  var button = event.target.closest(".mc-columns .mc-up, .mc-columns .mc-down");
  if (!button) return;
  var item = button.closest("li");
  if (button.classList.contains("mc-up") && item.previousElementSibling) {
    item.parentNode.insertBefore(item, item.previousElementSibling);
  } else if (button.classList.contains("mc-down") && item.nextElementSibling) {
    item.parentNode.insertBefore(item.nextElementSibling, item);
  }
});
