// crampd's page script. Every page works without it; it adds two things:
// Today reloads its reminders when the daemon says something changed
// (Server-Sent Events from /events), and the report gets a Print button.
(function () {
  "use strict";

  var live = document.getElementById("live");
  if (live && window.EventSource && window.fetch) {
    var note = document.getElementById("live-note");
    var busy = false, again = false;
    var refresh = function () {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      fetch(live.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (!r.ok) {
            throw new Error("status " + r.status);
          }
          return r.text();
        })
        .then(function (html) {
          // Keep the keyboard focus on the same button, if it is still there.
          var focused = document.activeElement && live.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
          live.innerHTML = html;
          if (focused) {
            var target = live.querySelector("[aria-label=\"" + focused.replace(/"/g, "\\\"") + "\"]");
            if (target) {
              target.focus();
            }
          }
          if (note) {
            note.textContent = "Today's reminders were updated.";
          }
        })
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    };
    var opened = false;
    var events = new EventSource("/events");
    events.addEventListener("change", refresh);
    events.addEventListener("open", function () {
      // After a reconnect (the daemon restarted), catch up on what was
      // missed while the stream was down.
      if (opened) {
        refresh();
      }
      opened = true;
    });
  }

  var print = document.getElementById("print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () {
      window.print();
    });
  }
})();
