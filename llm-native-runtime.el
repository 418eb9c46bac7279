;;; llm-native-runtime.el --- Requests on the native engine, callbacks on the main loop  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; One pipe process per Emacs is the engine's doorbell.  Its filter only
;; drains the module's queue and schedules one zero-delay timer; the timer
;; runs the callbacks, in order, each under its own `condition-case', in the
;; buffer that was current when the request was made.  A registry keeps every
;; request until its terminal event, so no callback is lost to GC, and a
;; cancelled request is dropped from it at once, so none of its callbacks runs
;; afterwards.
;;
;; Public: `llm-native-request', `llm-native-request-sync', `llm-native-cancel',
;; `llm-native-close'.  The llm layer uses `llm-native--chat-request',
;; `llm-native--build-body' and `llm-native--wait'.

;;; Code:

(require 'cl-lib)
(require 'json)
(require 'cl-print)
(require 'llm-native-errors)
(require 'llm-native-loader)
(require 'llm-native-status)

(declare-function llm-native--mod-open "ext:llm-native-module")
(declare-function llm-native--mod-start "ext:llm-native-module")
(declare-function llm-native--mod-cancel "ext:llm-native-module")
(declare-function llm-native--mod-preconnect "ext:llm-native-module")
(declare-function llm-native--mod-drain "ext:llm-native-module")
(declare-function llm-native--mod-close "ext:llm-native-module")
(declare-function llm-native--mod-stats "ext:llm-native-module")
(declare-function llm-native--mod-build-body "ext:llm-native-module")

(defcustom llm-native-connect-timeout 10
  "Seconds to wait for a connection before a request fails."
  :type 'number
  :group 'llm-native)

(defcustom llm-native-idle-timeout 600
  "Seconds a request may go without receiving any bytes, or nil for no limit.
A non-streaming chat receives nothing until the model has finished, and
local models can take minutes to load, hence the high default."
  :type '(choice number (const nil))
  :group 'llm-native)

(defcustom llm-native-timeout nil
  "Seconds a whole request may take, or nil for no limit."
  :type '(choice number (const nil))
  :group 'llm-native)

(defcustom llm-native-max-response-size (* 256 1024 1024)
  "Bytes one response may decode to, counted after gzip, br or zstd.
A response past it fails with `llm-native-too-large'."
  :type 'integer
  :group 'llm-native)

(defcustom llm-native-progress-interval 0.016
  "Least time in seconds between two partial callbacks of a streamed chat.
Text that arrives sooner waits, at most this long, and goes with the
next one; the first text and the end of an answer never wait.  Each
partial callback receives the whole text so far, so on a fast stream
fewer of them cost Emacs far less (and a client that redraws the answer
each time redraws it less often).  The default, one frame at 60 Hz,
holds nothing back at a provider's usual pace; 0 hands over text as
soon as Emacs drains it."
  :type 'number
  :group 'llm-native)

(defcustom llm-native-redirect-policy 'same-origin
  "Which redirects requests follow, at most five hops.
`same-origin': only to the same scheme, host and port.  `cross-origin':
also to other origins, but without the credential headers (Authorization,
Cookie, Proxy-Authorization, x-api-key, x-goog-api-key, api-key and the
request's :secret-headers) and, after a 301, 302 or 303, without the body
\(a 307 or 308 that would re-send a body is refused).  `none': a redirect
is an `llm-native-http-error'.  No redirect from https to http is ever
followed."
  :type '(choice (const same-origin) (const cross-origin) (const none))
  :group 'llm-native)

(defcustom llm-native-proxy nil
  "Proxy URL for every request, or nil for the environment's proxy settings."
  :type '(choice string (const nil))
  :group 'llm-native)

(cl-defstruct (llm-native-handle (:constructor llm-native--make-handle)
                                 (:copier nil))
  "A request running on the native engine.
Its callbacks and secrets live in the value of an uninterned symbol in the
`private' slot: printing a handle (`prin1', a backtrace,
`describe-variable') shows that symbol's name, never a closure or a key."
  id buffer
  (private nil :documentation "Uninterned symbol whose value is a plist of callbacks and secrets.")
  (url nil :documentation "The request's URL without userinfo, query or fragment (for display).")
  (kind nil :documentation "The dialect of a chat, or the format of a plain request.")
  (started nil :documentation "The `float-time' the request started.")
  (records 0 :documentation "Records delivered so far (plain requests).")
  (text "" :documentation "A chat's text so far.")
  (reasoning "" :documentation "A chat's reasoning so far.")
  (finished nil :documentation "Non-nil once the request's terminal event ran."))

(defun llm-native--new-handle (&rest private)
  "Return a new handle whose private plist is PRIVATE."
  (let ((symbol (make-symbol "llm-native-private")))
    (set symbol private)
    (llm-native--make-handle :private symbol)))

(defun llm-native--handle-get (handle key)
  "Return the private value KEY of HANDLE (a callback, the record parser...)."
  (plist-get (symbol-value (llm-native-handle-private handle)) key))

(defun llm-native--handle-put (handle key value)
  "Set the private value KEY of HANDLE to VALUE."
  (let ((symbol (llm-native-handle-private handle)))
    (set symbol (plist-put (symbol-value symbol) key value))))

(cl-defmethod cl-print-object ((handle llm-native-handle) stream)
  "Print HANDLE to STREAM as #<llm-native-handle ID KIND URL>."
  (princ (format "#<llm-native-handle %s %s %s%s>"
                 (llm-native-handle-id handle) (llm-native-handle-kind handle)
                 (llm-native-handle-url handle)
                 (if (llm-native-handle-finished handle) " finished" ""))
         stream))

(defvar llm-native--runtime nil "The module's runtime handle, or nil when closed.")
(defvar llm-native--pipe nil "The pipe process the engine rings.")
(defvar llm-native--registry (make-hash-table :test 'eql)
  "Request id to `llm-native-handle', for every request not yet finished.")
(defvar llm-native--inbox nil "Drained event vectors waiting for dispatch, oldest first.")
(defvar llm-native--inbox-tail nil "Last cons of `llm-native--inbox'.")
(defvar llm-native--inbox-next 0 "Index of the next event in the first inbox vector.")
(defvar llm-native--timer nil "The pending dispatch timer, if any.")
(defvar llm-native--drain-timer nil "The pending retry of a deferred drain, if any.")

;;;; Runtime lifecycle

(defun llm-native--runtime ()
  "Return the open runtime, opening it first if needed."
  (or llm-native--runtime
      (progn
        (llm-native--ensure-module)
        (let ((pipe (make-pipe-process :name "llm-native" :noquery t
                                       ;; A buffer is made anyway; a leading space hides it.
                                       :buffer (get-buffer-create " *llm-native pipe*")
                                       :coding 'binary
                                       :filter #'llm-native--filter
                                       :sentinel #'llm-native--sentinel)))
          (condition-case err
              (setq llm-native--runtime (llm-native--mod-open pipe)
                    llm-native--pipe pipe)
            (error (delete-process pipe)
                   (signal (car err) (cdr err))))
          (add-hook 'kill-emacs-hook #'llm-native--close-quietly)
          llm-native--runtime))))

(defun llm-native-close ()
  "Stop the native engine.
Requests still running are cancelled and get an `llm-native-cancelled'
error callback.  The next request opens the engine again."
  (interactive)
  (llm-native--close t))

(defun llm-native--close-quietly ()
  "Stop the engine without running callbacks (for `kill-emacs-hook')."
  (llm-native--close nil))

(defun llm-native--close (notify)
  "Stop the engine; with NOTIFY, tell every running request it was cancelled."
  (let ((runtime llm-native--runtime)
        (pending (llm-native-running-requests)))
    (setq llm-native--runtime nil)
    (clrhash llm-native--registry)
    (setq llm-native--inbox nil llm-native--inbox-tail nil llm-native--inbox-next 0)
    (when llm-native--timer (cancel-timer llm-native--timer) (setq llm-native--timer nil))
    (when llm-native--drain-timer
      (cancel-timer llm-native--drain-timer)
      (setq llm-native--drain-timer nil))
    (when runtime (llm-native--mod-close runtime))
    (when (process-live-p llm-native--pipe) (delete-process llm-native--pipe))
    (setq llm-native--pipe nil)
    (dolist (h pending)
      (setf (llm-native-handle-finished h) t)
      (llm-native--request-ended h 'cancelled))
    ;; From a timer, like every callback: this may run inside the pipe's sentinel.
    (when (and notify pending)
      (run-at-time 0 nil
                   (lambda ()
                     (dolist (h pending)
                       (llm-native--run-callback h :on-error 'llm-native-cancelled
                                                 "The llm-native engine was closed" nil)))))))

;;;; Dispatch

(defun llm-native--sentinel (process _event)
  "Close the engine when its pipe PROCESS died under it (e.g. deleted by hand).
Running requests then get an `llm-native-cancelled' error callback."
  (when (and (eq process llm-native--pipe) (not (process-live-p process)))
    (llm-native--close t)))

(defun llm-native--filter (_process _output)
  "Drain the engine's events and schedule their dispatch."
  (llm-native--drain))

(defun llm-native--drain ()
  "Move a batch of queued events from the module to the inbox; schedule dispatch.
The module hands over a bounded batch and rings its pipe again while
more wait.  Nothing is pulled while the inbox still holds events: the
backlog stays in the module, which pauses transfers past its budget, and
a timer comes back for it once the inbox was dispatched."
  (when llm-native--runtime
    (if llm-native--inbox
        (unless llm-native--drain-timer
          (setq llm-native--drain-timer (run-at-time 0 nil #'llm-native--drain-later)))
      (llm-native--drain-batch))))

(defun llm-native--drain-later ()
  "Drain again from a timer (see `llm-native--drain')."
  (setq llm-native--drain-timer nil)
  (llm-native--drain))

(defun llm-native--drain-batch ()
  "Move one batch of events from the module to the inbox; schedule dispatch."
  (when llm-native--runtime
    (let ((events (llm-native--mod-drain llm-native--runtime)))
      (when (> (length events) 0)
        (let ((cell (list events)))
          (if llm-native--inbox
              (setcdr llm-native--inbox-tail cell)
            (setq llm-native--inbox cell))
          (setq llm-native--inbox-tail cell))
        (unless llm-native--timer
          (setq llm-native--timer (run-at-time 0 nil #'llm-native--dispatch-events)))))))

;; Everything done for a request while dispatching (parsing its records,
;; building its result, running its callbacks) is guarded, so that one
;; request's failure, whatever its kind of exit, touches no other request.

(defvar llm-native--dispatch-budget 0.005
  "Seconds of work one dispatch may do before yielding to the event loop.
The rest of the inbox runs from the next zero-delay timer, so a flood of
events cannot freeze Emacs.  At least one event runs per dispatch.")

(defvar llm-native--quit-pending nil
  "Non-nil when a callback quit during the current dispatch.")

(defconst llm-native--failed (make-symbol "llm-native--failed")
  "Returned by `llm-native--build' when it failed its request.")

(defun llm-native--schedule ()
  "Make sure a dispatch timer is pending."
  (unless llm-native--timer
    (setq llm-native--timer (run-at-time 0 nil #'llm-native--dispatch-events))))

(defun llm-native--next-event ()
  "Take the next event from the inbox and return it, or nil when it is empty."
  (let ((event nil))
    (while (and (null event) llm-native--inbox)
      (let ((events (car llm-native--inbox)))
        (if (>= llm-native--inbox-next (length events))
            (progn (pop llm-native--inbox)
                   (setq llm-native--inbox-next 0)
                   (unless llm-native--inbox (setq llm-native--inbox-tail nil)))
          (setq event (aref events llm-native--inbox-next)
                llm-native--inbox-next (1+ llm-native--inbox-next)))))
    event))

(defun llm-native--dispatch-events ()
  "Run the callbacks of the events in the inbox, in order, for a bounded time.
What is left when `llm-native--dispatch-budget' is spent runs from the
next timer.  A quit caught in a callback is passed on afterwards where
quitting is allowed (a synchronous wait), so \\[keyboard-quit] still
reaches the command that waits."
  (when llm-native--timer
    (cancel-timer llm-native--timer)
    (setq llm-native--timer nil))
  (let ((deadline (+ (float-time) llm-native--dispatch-budget))
        (more t)
        ;; Each dispatch, nested ones included, passes on its own quits only.
        (llm-native--quit-pending nil))
    ;; The position lives in globals, not in this frame: a callback that waits
    ;; (a synchronous request) dispatches from inside this loop, and must carry
    ;; on from the same place, or later events would overtake earlier ones.
    (unwind-protect
        (while more
          (let ((event (llm-native--next-event)))
            (if (null event)
                (setq more nil)
              (llm-native--deliver event)
              (when (>= (float-time) deadline) (setq more nil)))))
      ;; Time is up, or a callback threw past this frame: the rest runs later.
      (when llm-native--inbox (llm-native--schedule)))
    (when (and llm-native--quit-pending (not inhibit-quit))
      (signal 'quit nil))))

(defun llm-native--deliver (event)
  "Run the callback that EVENT is for, if its request is still registered."
  (let ((handle (gethash (car event) llm-native--registry)))
    (when handle
      (pcase (cadr event)
        ('record
         (let ((record (llm-native--build handle "record"
                                           (llm-native--handle-get handle :record-parser)
                                           (cddr event))))
           (unless (eq record llm-native--failed)
             (cl-incf (llm-native-handle-records handle))
             (llm-native--run-callback handle :on-record record))))
        ('progress
         ;; The module sends what is new; callers get everything so far.
         (setf (llm-native-handle-text handle)
               (llm-native--append-text (llm-native-handle-text handle) (nth 2 event))
               (llm-native-handle-reasoning handle)
               (llm-native--append-text (llm-native-handle-reasoning handle) (nth 3 event)))
         (llm-native--run-callback handle :on-progress
                                   (llm-native-handle-text handle) (llm-native-handle-reasoning handle)))
        ('done
         (when (nth 3 event) (llm-native--catch-up handle (nth 3 event)))
         (unless (llm-native-handle-finished handle) ; a partial callback quit
           (let ((result (if (nth 3 event)
                             (llm-native--build handle "result" #'llm-native--chat-result
                                                (nth 3 event) handle)
                           (list :status (nth 2 event)))))
             (unless (eq result llm-native--failed)
               (llm-native--finish handle event)
               (llm-native--run-callback handle :on-done result)))))
        ('error
         (pcase-let ((`(,_ ,_ ,code ,message ,status ,body) event))
           (llm-native--finish handle event)
           (llm-native--run-callback
            handle :on-error
            (alist-get code llm-native--error-symbols 'llm-native-internal-error)
            (llm-native--scrub handle message)
            (append (and status (list :status status))
                    (and body (list :body (llm-native--scrub handle body)))))))))))

(defun llm-native--catch-up (handle result)
  "Give HANDLE's partial callback the text of its chat RESULT vector, if new.
A chat's end may carry its whole text and reasoning instead of its last
delta (the module sends t for what its progress events carried);
callers still get that text as a last partial before the result."
  (let ((text (aref result 0))
        (reasoning (aref result 1)))
    (when (or (and (stringp text) (not (equal text (llm-native-handle-text handle))))
              (and (stringp reasoning)
                   (not (equal reasoning (llm-native-handle-reasoning handle)))))
      (when (stringp text) (setf (llm-native-handle-text handle) text))
      (when (stringp reasoning) (setf (llm-native-handle-reasoning handle) reasoning))
      (llm-native--run-callback handle :on-progress
                                (llm-native-handle-text handle) (llm-native-handle-reasoning handle)))))

(defun llm-native--append-text (text delta)
  "Return TEXT followed by DELTA, copying neither when the other is empty.
A multi-megabyte answer then costs one string, not two."
  (cond ((equal delta "") text)
        ((equal text "") delta)
        (t (concat text delta))))

(defun llm-native--finish (handle outcome)
  "Mark HANDLE finished with OUTCOME and drop it from the registry.
OUTCOME is its terminal event, `cancelled', or (SYMBOL MESSAGE) for a
failure on the Emacs side; the log and the request list record it."
  (remhash (llm-native-handle-id handle) llm-native--registry)
  (setf (llm-native-handle-finished handle) t)
  (llm-native--request-ended handle outcome))

(defun llm-native--abort (handle symbol message)
  "Stop HANDLE's request and run its error callback with SYMBOL and MESSAGE.
For a failure on the Emacs side of a request that has not finished:
its transfer is cancelled and it leaves the registry."
  (unless (llm-native-handle-finished handle)
    (llm-native--finish handle (list symbol message))
    (when llm-native--runtime
      (llm-native--mod-cancel llm-native--runtime (llm-native-handle-id handle)))
    (llm-native--run-callback handle :on-error symbol message nil)))

(defun llm-native--build (handle what function &rest args)
  "Return FUNCTION applied to ARGS, a value built for HANDLE's request.
WHAT names the value for the message.  When it cannot be built (a record
Emacs cannot represent: an integer beyond its range, a NUL in a string,
nesting too deep), fail that request alone with
`llm-native-protocol-error' and return `llm-native--failed'."
  (condition-case err
      (apply function args)
    (error
     (llm-native--abort
      handle 'llm-native-protocol-error
      (format "Emacs cannot read the %s the server sent for request %d: %s"
              what (llm-native-handle-id handle)
              (if (and (eq (car err) 'json-parse-error) (stringp (cadr err)))
                  (cadr err)
                (error-message-string err))))
     llm-native--failed)
    (quit
     (setq llm-native--quit-pending t)
     (llm-native--abort handle 'llm-native-cancelled
                        (format "Quit while reading the %s of request %d"
                                what (llm-native-handle-id handle)))
     llm-native--failed)))

(defun llm-native--in-buffer (buffer function &rest args)
  "Apply FUNCTION to ARGS with BUFFER current, or a temporary buffer if it died.
Every callback of llm-native runs so, in the buffer its caller was in.
\(llm's `llm-provider-utils-callback-in-buffer' is the same; the runtime
serves callers without llm.)"
  (if (buffer-live-p buffer)
      (with-current-buffer buffer (apply function args))
    (with-temp-buffer (apply function args))))

(defun llm-native--run-callback (handle key &rest args)
  "Call HANDLE's callback KEY with ARGS in HANDLE's buffer.
An error is reported with `display-warning' and the request carries on.
A quit, or a `throw' past this frame, stops the request: its transfer
is cancelled and its error callback runs (unless this was its terminal
callback), while every other request carries on."
  (let ((function (llm-native--handle-get handle key)))
    (when function
      (let ((buffer (llm-native-handle-buffer handle))
            (outcome 'exit))
        (unwind-protect
            (setq outcome
                  (condition-case-unless-debug err
                      (progn (apply #'llm-native--in-buffer buffer function args)
                             nil)
                    (error
                     (display-warning 'llm-native
                                      (format "Error in a callback of request %s: %s"
                                              ;; No id when the module's build failed first.
                                              (or (llm-native-handle-id handle) "(not started)")
                                              (error-message-string err))
                                      :error)
                     nil)
                    (quit 'quit)))
          (when (eq outcome 'exit) (llm-native--abandon handle)))
        (when (eq outcome 'quit)
          (setq llm-native--quit-pending t)
          (llm-native--abort handle 'llm-native-cancelled
                             (format "A callback of request %d quit; the request was stopped"
                                     (llm-native-handle-id handle))))))))

(defun llm-native--abandon (handle)
  "Stop HANDLE's request while a `throw' unwinds through its callback.
No Lisp of the caller's runs during the unwinding: the error callback
runs from a timer."
  (unless (llm-native-handle-finished handle)
    (llm-native--finish handle 'cancelled)
    (when llm-native--runtime
      (llm-native--mod-cancel llm-native--runtime (llm-native-handle-id handle)))
    (run-at-time 0 nil #'llm-native--run-callback handle :on-error 'llm-native-cancelled
                 (format "A callback of request %d exited non-locally; the request was stopped"
                         (llm-native-handle-id handle))
                 nil)))

;;;; Starting requests

(defconst llm-native--common-keys
  '(:url :method :headers :body :on-done :on-error
    :connect-timeout :idle-timeout :timeout :proxy :insecure :max-record-size
    :max-response-size :redirects :secret-headers)
  "The keys every request takes.")

(defconst llm-native--request-keys
  (append '(:format :on-record :json-object-type :json-array-type :json-null :json-false)
          llm-native--common-keys)
  "The keys of `llm-native-request'.")

(defconst llm-native--chat-keys
  (append '(:dialect :prompt :streaming :on-progress :progress-interval) llm-native--common-keys)
  "The keys of `llm-native--chat-request'.")

(defun llm-native--invalid (format-string &rest args)
  "Signal `llm-native-invalid-spec' with the message FORMAT-STRING and ARGS.
The data is the message alone: no value the caller passed rides along."
  (signal 'llm-native-invalid-spec (list (apply #'format format-string args))))

(defun llm-native--check-keys (args allowed)
  "Signal unless ARGS is a plist whose keys are all in ALLOWED."
  (unless (proper-list-p args)
    (llm-native--invalid "Arguments must be a list of keys and values"))
  (unless (cl-evenp (length args))
    (llm-native--invalid "Odd number of arguments: keys and values come in pairs"))
  (cl-loop for key in args by #'cddr
           unless (memq key allowed)
           do (llm-native--invalid "Unknown key %s (expected one of %s)"
                                   (if (symbolp key) key (format "of type %s" (type-of key)))
                                   (mapconcat #'symbol-name allowed " "))))

(defconst llm-native--token-regexp "\\`[-!#$%&'*+.^_`|~0-9A-Za-z]+\\'"
  "An HTTP token (RFC 9110), as header names and methods must be.")

(defconst llm-native--control-regexp "[\0-\x08\n-\x1f\x7f]"
  "Characters no URL or header may hold: NUL, CR, LF, the other controls but TAB.")

(defun llm-native--check-line (what value &optional arg)
  "Signal unless VALUE is a string without control characters.
WHAT names it, a format string for ARG (made only for the message, which
never quotes VALUE)."
  (unless (stringp value) (llm-native--invalid "%s must be a string" (format what arg)))
  (when (string-match-p llm-native--control-regexp value)
    (llm-native--invalid "%s contains a control character (NUL, CR, LF...)" (format what arg))))

(defun llm-native--check-url (url)
  "Signal unless URL is an http or https URL without control characters."
  (llm-native--check-line "The :url" url)
  (let ((case-fold-search t))
    (unless (string-match-p "\\`https?://" url)
      (llm-native--invalid "Only http and https URLs are supported, not %s"
                           (if (string-match "\\`\\([a-z][-a-z0-9+.]*\\):" url)
                               (format "%s:" (match-string 1 url))
                             "a URL without a scheme")))))

(defun llm-native--header-strings (headers)
  "Turn HEADERS, an alist of (NAME . VALUE) strings, into \"Name: value\" strings.
Names must be HTTP tokens, values strings without line breaks or NUL.
Messages name the header, never its value."
  (unless (proper-list-p headers) (llm-native--invalid ":headers must be an alist"))
  (let ((index 0))
    (mapcar (lambda (h)
              (setq index (1+ index))
              (unless (and (consp h) (stringp (car h)))
                (llm-native--invalid "Header %d is not a (NAME . VALUE) pair of strings" index))
              (let ((name (car h)) (value (cdr h)))
                (unless (string-match-p llm-native--token-regexp name)
                  ;; Only the part that is a valid name: a whole "Name: value"
                  ;; line passed as the name must not show its value.
                  (llm-native--invalid "Header %d: the name %S is not an HTTP token"
                                       index
                                       (let ((end (string-match-p "[^-!#$%&'*+.^_`|~0-9A-Za-z]"
                                                                  name)))
                                         (if (and end (< end (length name)))
                                             (concat (substring name 0 end) "...")
                                           name))))
                (llm-native--check-line "The value of header %s" value name)
                (concat name ": " value)))
            headers)))

(defun llm-native--display-url (url)
  "Return URL without its userinfo, query and fragment, for messages and lists."
  (let ((base (substring url 0 (string-match-p "[?#]" url))))
    (if (string-match "\\`[A-Za-z][-A-Za-z0-9+.]*://\\([^/]*@\\)" base)
        (concat (substring base 0 (match-beginning 1)) (substring base (match-end 1)))
      base)))

(defconst llm-native--secret-header-regexp "auth\\|key\\|token\\|secret\\|cookie\\|pass"
  "Header names whose values are masked in messages the engine reports.")

(defun llm-native--url-secrets (url)
  "The userinfo and the query of URL, when it has them."
  (let ((secrets nil))
    (when (stringp url)
      (when (string-match "\\`[A-Za-z][-A-Za-z0-9+.]*://\\([^/?#]*\\)@" url)
        (push (match-string 1 url) secrets))
      (when (string-match "[?]\\([^#]+\\)" url)
        (push (match-string 1 url) secrets)))
    secrets))

(defun llm-native--secrets (urls headers)
  "The strings of URLS and HEADERS that must not appear in a message.
The userinfo and query of each URL, and the values of credential headers."
  (let ((secrets (mapcan #'llm-native--url-secrets urls))
        (case-fold-search t))
    (dolist (h headers)
      (when (string-match-p llm-native--secret-header-regexp (car h))
        (push (cdr h) secrets)
        ;; "Bearer KEY": the key alone may be echoed back.
        (when (string-match "\\`[A-Za-z]+ +\\(.+\\)" (cdr h))
          (push (match-string 1 (cdr h)) secrets))))
    ;; Longest first, and none so short that masking would garble a message.
    (sort (cl-remove-if (lambda (s) (< (length s) 4)) secrets)
          (lambda (a b) (> (length a) (length b))))))

(defun llm-native--mask (text secrets)
  "Return TEXT with each of SECRETS replaced by <redacted>."
  (if (stringp text)
      (let ((text text))
        (dolist (secret secrets text)
          (setq text (string-replace secret "<redacted>" text))))
    text))

(defun llm-native--scrub (handle text)
  "Return TEXT with the secrets of HANDLE's request masked."
  (if (stringp text)
      (let ((secrets (llm-native--handle-get handle :secrets)))
        ;; Worked out on the first message that needs them, not on every start.
        (when (functionp secrets)
          (setq secrets (funcall secrets))
          (llm-native--handle-put handle :secrets secrets))
        (llm-native--mask text secrets))
    text))

(defun llm-native--start (args spec handle)
  "Start a request and register HANDLE for it; return HANDLE.
ARGS are the caller's keys: :url, :method, :headers (an alist), :body
\(encoded as UTF-8), the timeout keys, :on-done and :on-error.  SPEC
holds the further module keys (:format, or :dialect, :streaming and
:prompt).  HANDLE gets the current buffer and the two terminal
callbacks.  The spec is checked at once; while the module is
being built the request waits for the build, then starts (unless
cancelled), and a failed build reaches :on-error."
  (let* ((url (plist-get args :url))
         (headers (plist-get args :headers))
         (method (plist-get args :method))
         (proxy (or (plist-get args :proxy) llm-native-proxy)))
    (llm-native--check-url url)
    (when method
      (unless (and (stringp method) (string-match-p llm-native--token-regexp method))
        (llm-native--invalid ":method must be an HTTP token such as \"POST\"")))
    (when proxy (llm-native--check-line "The :proxy URL" proxy))
    (let ((header-lines (llm-native--header-strings headers))
          (body (llm-native--encode-body (plist-get args :body))))
      (setf (llm-native-handle-buffer handle) (current-buffer))
      (llm-native--handle-put handle :on-done (plist-get args :on-done))
      (llm-native--handle-put handle :on-error (plist-get args :on-error))
      (llm-native--handle-put handle :secrets
                              (lambda () (llm-native--secrets (list url proxy) headers)))
      (let ((request (list :url url
                           :method (or method (if (or body (plist-get spec :prompt)) "POST" "GET"))
                           :headers header-lines
                           :body body)))
        (if (llm-native--module-ready-p)
            ;; The usual case, without the two closures a wait for the build needs.
            (llm-native--start-now handle args spec request)
          (llm-native--with-module
           (lambda ()
             (unless (llm-native-handle-finished handle) ; cancelled during the build
               (llm-native--start-now handle args spec request)))
           (lambda (err)
             (unless (llm-native-handle-finished handle)
               (setf (llm-native-handle-finished handle) t)
               (llm-native--run-callback
                handle :on-error (car err)
                (if (stringp (cadr err)) (cadr err) (error-message-string err))
                nil))))))
      handle)))

(defun llm-native--start-now (handle args spec request)
  "Start HANDLE's request on the loaded module and register it.
REQUEST holds its :url, :method, :headers and :body; ARGS and SPEC are
as for `llm-native--start'."
  (let* ((spec (nconc request (llm-native--timeouts args) spec))
         ;; The runtime is opened first: it loads the module that defines the mod-* functions.
         (runtime (llm-native--runtime))
         (id (llm-native--mod-start runtime spec)))
    (setf (llm-native-handle-id handle) id
          (llm-native-handle-url handle) (llm-native--display-url (plist-get spec :url))
          (llm-native-handle-kind handle) (or (plist-get spec :dialect) (plist-get spec :format))
          (llm-native-handle-started handle) (float-time))
    (puthash id handle llm-native--registry)
    (llm-native--request-started handle spec)
    handle))

(defun llm-native--encode-body (body)
  "Return BODY as a string of UTF-8 text for the module."
  (cond ((null body) nil)
        ((not (stringp body))
         (llm-native--invalid ":body must be a string, not a %s" (type-of body)))
        ((multibyte-string-p body) body)
        ;; A unibyte string is taken as UTF-8 bytes already.
        (t (decode-coding-string body 'utf-8))))

(defun llm-native--timeouts (args)
  "Module plist entries for the timeout and proxy keys in ARGS.
A key whose value comes out nil is left out (the module reads a missing
key as nil), so a request start conses only what it sets."
  (let ((plist nil))
    (cl-macrolet ((add (key value)
                    `(let ((value ,value))
                       (when value (setq plist (cl-list* ,key value plist)))))
                  (arg (key default)
                    `(if (plist-member args ,key) (plist-get args ,key) ,default)))
      (add :connect-timeout (arg :connect-timeout llm-native-connect-timeout))
      (add :idle-timeout (arg :idle-timeout llm-native-idle-timeout))
      (add :timeout (arg :timeout llm-native-timeout))
      (add :proxy (or (plist-get args :proxy) llm-native-proxy))
      (add :insecure (plist-get args :insecure))
      (add :max-record-size (plist-get args :max-record-size))
      (add :max-response-size (or (plist-get args :max-response-size) llm-native-max-response-size))
      (add :redirects (or (plist-get args :redirects) llm-native-redirect-policy))
      (add :secret-headers (plist-get args :secret-headers)))
    plist))

(defun llm-native--json-parser (args)
  "A function parsing one JSON text as ARGS' :json-* keys ask."
  (let ((object-type (or (plist-get args :json-object-type) 'alist))
        (array-type (or (plist-get args :json-array-type) 'array))
        (null-object (plist-get args :json-null))
        (false-object (if (plist-member args :json-false) (plist-get args :json-false) :false)))
    (when (eq array-type 'vector) (setq array-type 'array))
    (lambda (text)
      (json-parse-string text :object-type object-type :array-type array-type
                         :null-object null-object :false-object false-object))))

(defun llm-native-request (&rest args)
  "Start an HTTP request on the native engine and stream its response.
Return a handle for `llm-native-cancel'.  ARGS is a plist:

:url URL          http or https URL (required).
:method METHOD    HTTP method; default \"POST\" with a body, else \"GET\".
:headers ALIST    Request headers as (NAME . VALUE) strings.
:body STRING      Request body, sent as UTF-8.
:format FORMAT    How the response is cut into records: `sse', `ndjson',
                  `json-array', `json' (the default) or `raw'.  A
                  Content-Type of text/event-stream, application/x-ndjson
                  or application/json overrides it.
:on-record FN     Called with each record: for SSE a plist (:type TYPE
                  :data DATA :id ID); for the JSON formats the parsed value;
                  for raw a string of text.
:on-done FN       Called once with (:status STATUS) when the response ended
                  normally.
:on-error FN      Called once with SYMBOL, MESSAGE and a plist (:status
                  STATUS :body BODY) on failure.  SYMBOL is one of
                  `llm-native-connection-error', `llm-native-timeout',
                  `llm-native-http-error', `llm-native-protocol-error',
                  `llm-native-too-large', `llm-native-truncated' or
                  `llm-native-internal-error'.
:json-object-type, :json-array-type, :json-null, :json-false
                  How JSON records are parsed, as for `json-parse-string'
                  (defaults: `alist', `array' (a vector), nil, `:false').
:connect-timeout, :idle-timeout, :timeout
                  Seconds, or nil for none; the defaults are
                  `llm-native-connect-timeout', `llm-native-idle-timeout'
                  and `llm-native-timeout'.
:proxy URL        Proxy; default `llm-native-proxy', then the environment.
:insecure BOOL    Skip TLS certificate checks.
:max-record-size BYTES  Largest record accepted (default 64 MiB).
:max-response-size BYTES  Largest decoded response; default
                  `llm-native-max-response-size'.
:redirects POLICY `same-origin', `cross-origin' or `none'; default
                  `llm-native-redirect-policy'.
:secret-headers NAMES  Header names, besides the usual credential
                  headers, never sent to another origin.

Callbacks run from a timer on Emacs's main loop, never before this
function returns, in the buffer current now (a temporary buffer if it
was killed).  Records arrive in order, then exactly one of :on-done and
:on-error, and nothing after `llm-native-cancel'.

An unknown key, an odd-length ARGS, a header that is not a pair of
strings, a header name that is not an HTTP token, or a NUL, CR or LF in
the URL, method or headers signals `llm-native-invalid-spec'.  A record
Emacs cannot represent (an integer beyond its range, a NUL in a string)
fails that request alone with `llm-native-protocol-error'."
  (llm-native--check-keys args llm-native--request-keys)
  (let* ((format (or (plist-get args :format) 'json))
         (parser (pcase format
                   ('sse (lambda (r) (list :type (nth 0 r) :data (nth 1 r) :id (nth 2 r))))
                   ('raw (lambda (r) (nth 1 r)))
                   ((or 'json 'ndjson 'json-array)
                    (let ((parse (llm-native--json-parser args)))
                      (lambda (r) (funcall parse (nth 1 r)))))
                   (_ (llm-native--invalid "Unknown :format %S" format)))))
    (llm-native--start args (list :format format)
                       (llm-native--new-handle :on-record (plist-get args :on-record)
                                               :record-parser parser))))

(defun llm-native--preconnect (url &optional insecure)
  "Open a connection to URL's host ahead of the requests that will follow.
The engine sends a HEAD request to URL and drops its answer; the
connection (and its TLS session) then stays warm for the next requests
to that host.  INSECURE skips TLS certificate checks, as for
`llm-native-request'."
  (llm-native--mod-preconnect (llm-native--runtime)
                              (list :url url :connect-timeout llm-native-connect-timeout
                                    :proxy llm-native-proxy :insecure insecure)))

(defun llm-native-cancel (handle)
  "Cancel the request HANDLE: stop its transfer.
None of its callbacks runs afterwards."
  (unless (llm-native-handle-p handle)
    (signal 'wrong-type-argument (list 'llm-native-handle-p handle)))
  (let ((id (llm-native-handle-id handle)))
    (when (and id (gethash id llm-native--registry))
      (llm-native--finish handle 'cancelled)
      (when llm-native--runtime
        (llm-native--mod-cancel llm-native--runtime id)))
    (setf (llm-native-handle-finished handle) t)
    nil))

(defun llm-native--wait (handle)
  "Wait until HANDLE's terminal callback ran.
\\[keyboard-quit] cancels the request and quits."
  (let ((done nil)
        (notice (llm-native--wait-notice handle)))
    (unwind-protect
        (let ((inhibit-quit nil))
          (while (not (llm-native-handle-finished handle))
            ;; With events waiting, only let timers and other processes run.
            (accept-process-output llm-native--pipe (if llm-native--inbox 0 0.05))
            (llm-native--drain)
            (when llm-native--inbox (llm-native--dispatch-events)))
          (setq done t))
      (llm-native--wait-notice-end notice)
      (unless done (llm-native-cancel handle)))))

(defun llm-native-request-sync (&rest args)
  "Make the request ARGS describes and wait for it; return its result.
ARGS are those of `llm-native-request' without the callbacks.  The
value is a plist (:status STATUS :records RECORDS).  A failure signals
its error symbol with data (MESSAGE . INFO).  \\[keyboard-quit] cancels the
request."
  (llm-native--check-keys args (cl-set-difference llm-native--request-keys
                                                  '(:on-record :on-done :on-error)))
  (let* ((records nil) (status nil) (failure nil)
         (handle (apply #'llm-native-request
                        :on-record (lambda (r) (push r records))
                        :on-done (lambda (info) (setq status (plist-get info :status)))
                        :on-error (lambda (symbol message info)
                                    (setq failure (cons symbol (cons message info))))
                        args)))
    (llm-native--wait handle)
    (when failure (signal (car failure) (cdr failure)))
    (list :status status :records (nreverse records))))

;;;; Chat requests (for the llm layer)

(defun llm-native--chat-result (vec handle)
  "Turn the module's chat result vector VEC for HANDLE into a plist.
The module sends t for a text or reasoning that its progress events
already carried whole, rather than copying it again."
  (pcase-let ((`[,text ,reasoning ,calls ,input ,output ,finish ,multi-turn] vec))
    (list :text (if (eq text t) (llm-native-handle-text handle) text)
          :reasoning (if (eq reasoning t) (llm-native-handle-reasoning handle) reasoning)
          :tool-calls (mapcar (lambda (c)
                                (list :id (aref c 0) :name (aref c 1)
                                      :args (llm-native--parse-json (aref c 2))
                                      :extra (and (aref c 3) (llm-native--parse-json (aref c 3)))))
                              calls)
          :input-tokens input :output-tokens output :finish-reason finish
          :multi-turn (and multi-turn
                           (json-parse-string multi-turn :object-type 'plist
                                              :null-object nil :false-object :json-false)))))

(defun llm-native--parse-json (text)
  "Parse TEXT as the llm package represents JSON.
Objects are alists, arrays vectors, null nil and false `:json-false'."
  (json-parse-string text :object-type 'alist :array-type 'array
                     :null-object nil :false-object :json-false))

(defun llm-native--build-body (dialect prompt streaming)
  "Return the request body DIALECT builds from PROMPT, canonical prompt JSON.
STREAMING non-nil asks for a streamed response."
  (llm-native--ensure-module)
  (llm-native--mod-build-body dialect prompt streaming))

(defun llm-native--chat-request (&rest args)
  "Start a chat request described by ARGS; return its handle.
Keys: :url :headers :method (default \"POST\") :dialect :prompt (canonical
JSON) or :body, :streaming, :on-progress (TEXT REASONING),
:progress-interval (default `llm-native-progress-interval'), :on-done
\(RESULT plist), :on-error (SYMBOL MESSAGE INFO), and the timeout keys of
`llm-native-request'."
  (llm-native--check-keys args llm-native--chat-keys)
  (unless (proper-list-p (plist-get args :headers))
    (llm-native--invalid ":headers must be an alist"))
  (let ((body (plist-get args :body)))
    (llm-native--start
     ;; ARGS is the tail, not copied; the keys in front win.
     (cl-list* :method (or (plist-get args :method) "POST")
               :headers (append (plist-get args :headers)
                                '(("Content-Type" . "application/json")))
               args)
     ;; Without a body, the module builds it from the canonical prompt in one pass
     ;; (once it is loaded: after its first build, if that is running).
     (list :dialect (plist-get args :dialect) :streaming (plist-get args :streaming)
           :prompt (and (not body) (plist-get args :prompt))
           :progress-interval (if (plist-member args :progress-interval)
                                  (plist-get args :progress-interval)
                                llm-native-progress-interval))
     (llm-native--new-handle :on-progress (plist-get args :on-progress)))))

(defun llm-native-running-requests ()
  "Return the handles of the requests still running, oldest first."
  (let (handles)
    (maphash (lambda (_ handle) (push handle handles)) llm-native--registry)
    (sort handles (lambda (a b) (< (llm-native-handle-id a) (llm-native-handle-id b))))))

(defun llm-native-stats ()
  "Return a plist of the engine's counters, or nil when it is closed."
  (and llm-native--runtime (llm-native--mod-stats llm-native--runtime)))

(provide 'llm-native-runtime)
;;; llm-native-runtime.el ends here
