;;; llm-native-runtime.el --- Requests on the native engine, callbacks on the main loop  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The llm-native authors
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
;; `llm-native-close'.  The llm layer uses `llm-native--chat-start',
;; `llm-native--build-body' and `llm-native--wait'.

;;; Code:

(require 'cl-lib)
(require 'json)
(require 'llm-native-errors)
(require 'llm-native-loader)

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

(defcustom llm-native-proxy nil
  "Proxy URL for every request, or nil for the environment's proxy settings."
  :type '(choice string (const nil))
  :group 'llm-native)

(cl-defstruct (llm-native-handle (:constructor llm-native--make-handle)
                                 (:copier nil))
  "A request running on the native engine."
  id buffer on-record on-progress on-done on-error record-parser
  (url nil :documentation "The request's URL without its query (for display).")
  (kind nil :documentation "The dialect of a chat, or the format of a plain request.")
  (started nil :documentation "The `float-time' the request started.")
  (records 0 :documentation "Records delivered so far (plain requests).")
  (text "" :documentation "A chat's text so far.")
  (reasoning "" :documentation "A chat's reasoning so far.")
  (finished nil :documentation "Non-nil once the request's terminal event ran."))

(defvar llm-native--runtime nil "The module's runtime handle, or nil when closed.")
(defvar llm-native--pipe nil "The pipe process the engine rings.")
(defvar llm-native--registry (make-hash-table :test 'eql)
  "Request id to `llm-native-handle', for every request not yet finished.")
(defvar llm-native--inbox nil "Drained event vectors waiting for dispatch, oldest first.")
(defvar llm-native--inbox-tail nil "Last cons of `llm-native--inbox'.")
(defvar llm-native--inbox-next 0 "Index of the next event in the first inbox vector.")
(defvar llm-native--timer nil "The pending dispatch timer, if any.")

;;;; Runtime lifecycle

(defun llm-native--runtime ()
  "Return the open runtime, opening it first if needed."
  (or llm-native--runtime
      (progn
        (llm-native--ensure-module)
        (let ((pipe (make-pipe-process :name "llm-native" :buffer nil :noquery t
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
    (when runtime (llm-native--mod-close runtime))
    (when (process-live-p llm-native--pipe) (delete-process llm-native--pipe))
    (setq llm-native--pipe nil)
    (dolist (h pending) (setf (llm-native-handle-finished h) t))
    ;; From a timer, like every callback: this may run inside the pipe's sentinel.
    (when (and notify pending)
      (run-at-time 0 nil
                   (lambda ()
                     (dolist (h pending)
                       (llm-native--call h (llm-native-handle-on-error h)
                                         'llm-native-cancelled
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
  "Move every queued event from the module to the inbox; schedule dispatch."
  (when llm-native--runtime
    (let ((events (llm-native--mod-drain llm-native--runtime)))
      (when (> (length events) 0)
        (let ((cell (list events)))
          (if llm-native--inbox
              (setcdr llm-native--inbox-tail cell)
            (setq llm-native--inbox cell))
          (setq llm-native--inbox-tail cell))
        (unless llm-native--timer
          (setq llm-native--timer (run-at-time 0 nil #'llm-native--dispatch)))))))

(defun llm-native--dispatch ()
  "Run the callbacks of every event in the inbox, in order."
  (setq llm-native--timer nil)
  ;; The position lives in globals, not in this frame: a callback that waits
  ;; (a synchronous request) dispatches from inside this loop, and must carry on
  ;; from the same place, or later events would overtake earlier ones.
  (while llm-native--inbox
    (let ((events (car llm-native--inbox)))
      (if (>= llm-native--inbox-next (length events))
          (progn (pop llm-native--inbox)
                 (setq llm-native--inbox-next 0)
                 (unless llm-native--inbox (setq llm-native--inbox-tail nil)))
        (let ((event (aref events llm-native--inbox-next)))
          (setq llm-native--inbox-next (1+ llm-native--inbox-next))
          (llm-native--deliver event))))))

(defun llm-native--deliver (event)
  "Run the callback that EVENT is for, if its request is still registered."
  (let ((handle (gethash (car event) llm-native--registry)))
    (when handle
      (pcase (cadr event)
        ('record
         (cl-incf (llm-native-handle-records handle))
         (llm-native--call handle (llm-native-handle-on-record handle)
                           (funcall (llm-native-handle-record-parser handle) (cddr event))))
        ('progress
         ;; The module sends what is new; callers get everything so far.
         (setf (llm-native-handle-text handle)
               (llm-native--append-text (llm-native-handle-text handle) (nth 2 event))
               (llm-native-handle-reasoning handle)
               (llm-native--append-text (llm-native-handle-reasoning handle) (nth 3 event)))
         (llm-native--call handle (llm-native-handle-on-progress handle)
                           (llm-native-handle-text handle) (llm-native-handle-reasoning handle)))
        (kind
         (remhash (car event) llm-native--registry)
         (setf (llm-native-handle-finished handle) t)
         (pcase kind
           ('done
            (llm-native--call handle (llm-native-handle-on-done handle)
                              (if (nth 3 event)
                                  (llm-native--chat-result (nth 3 event) handle)
                                (list :status (nth 2 event)))))
           ('error
            (pcase-let ((`(,_ ,_ ,code ,message ,status ,body) event))
              (llm-native--call handle (llm-native-handle-on-error handle)
                                (alist-get code llm-native--error-symbols
                                           'llm-native-internal-error)
                                message
                                (append (and status (list :status status))
                                        (and body (list :body body))))))))))))

(defun llm-native--append-text (text delta)
  "Return TEXT followed by DELTA, copying neither when the other is empty.
A multi-megabyte answer then costs one string, not two."
  (cond ((equal delta "") text)
        ((equal text "") delta)
        (t (concat text delta))))

(defun llm-native--call (handle function &rest args)
  "Call FUNCTION with ARGS in HANDLE's buffer, reporting any error it signals."
  (when function
    (let ((buffer (llm-native-handle-buffer handle)))
      (condition-case-unless-debug err
          (if (buffer-live-p buffer)
              (with-current-buffer buffer (apply function args))
            (with-temp-buffer (apply function args)))
        (error
         (display-warning 'llm-native
                          (format "Error in a callback of request %d: %s"
                                  (llm-native-handle-id handle)
                                  (error-message-string err))
                          :error))))))

;;;; Starting requests

(defun llm-native--start (args spec handle)
  "Start a request and register HANDLE for it; return HANDLE.
ARGS are the caller's keys: :url, :method, :headers (an alist), :body
\(encoded as UTF-8), the timeout keys, :on-done and :on-error.  SPEC
holds the further module keys (:format, or :dialect and :streaming).
HANDLE gets the current buffer and the two terminal callbacks."
  (let* ((body (llm-native--encode-body (plist-get args :body)))
         ;; One fresh list: SPEC, the caller's, is its tail and is not copied.
         (spec (nconc (list :url (plist-get args :url)
                            :method (or (plist-get args :method)
                                        (if (or body (plist-get spec :prompt)) "POST" "GET"))
                            :headers (llm-native--header-strings (plist-get args :headers))
                            :body body)
                      (llm-native--timeouts args)
                      spec))
         ;; The runtime is opened first: it loads the module that defines the mod-* functions.
         (runtime (llm-native--runtime))
         (id (llm-native--mod-start runtime spec)))
    (setf (llm-native-handle-buffer handle) (current-buffer)
          (llm-native-handle-on-done handle) (plist-get args :on-done)
          (llm-native-handle-on-error handle) (plist-get args :on-error)
          (llm-native-handle-id handle) id
          (llm-native-handle-url handle) (llm-native--url-without-query (plist-get spec :url))
          (llm-native-handle-kind handle) (or (plist-get spec :dialect) (plist-get spec :format))
          (llm-native-handle-started handle) (float-time))
    (puthash id handle llm-native--registry)
    handle))

(defun llm-native--url-without-query (url)
  "Return URL without its query and fragment (URL itself when it has none)."
  (let ((cut (string-match-p "[?#]" url)))
    (if cut (substring url 0 cut) url)))

(defun llm-native--encode-body (body)
  "Return BODY as a string of UTF-8 text for the module."
  (cond ((null body) nil)
        ((not (stringp body)) (signal 'llm-native-invalid-spec (list ":body must be a string" body)))
        ((multibyte-string-p body) body)
        ;; A unibyte string is taken as UTF-8 bytes already.
        (t (decode-coding-string body 'utf-8))))

(defun llm-native--header-strings (headers)
  "Turn HEADERS, an alist of (NAME . VALUE), into \"Name: value\" strings."
  (mapcar (lambda (h)
            (unless (and (consp h) (stringp (car h)))
              (signal 'llm-native-invalid-spec (list "Bad header, expected (NAME . VALUE)" h)))
            (format "%s: %s" (car h) (cdr h)))
          headers))

(defun llm-native--timeouts (args)
  "Module plist entries for the timeout and proxy keys in ARGS."
  (list :connect-timeout (if (plist-member args :connect-timeout)
                             (plist-get args :connect-timeout)
                           llm-native-connect-timeout)
        :idle-timeout (if (plist-member args :idle-timeout)
                          (plist-get args :idle-timeout)
                        llm-native-idle-timeout)
        :timeout (if (plist-member args :timeout) (plist-get args :timeout) llm-native-timeout)
        :proxy (or (plist-get args :proxy) llm-native-proxy)
        :insecure (plist-get args :insecure)
        :max-record-size (plist-get args :max-record-size)))

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

Callbacks run from a timer on Emacs's main loop, never before this
function returns, in the buffer current now (a temporary buffer if it
was killed).  Records arrive in order, then exactly one of :on-done and
:on-error, and nothing after `llm-native-cancel'."
  (let* ((format (or (plist-get args :format) 'json))
         (parser (pcase format
                   ('sse (lambda (r) (list :type (nth 0 r) :data (nth 1 r) :id (nth 2 r))))
                   ('raw (lambda (r) (nth 1 r)))
                   ((or 'json 'ndjson 'json-array)
                    (let ((parse (llm-native--json-parser args)))
                      (lambda (r) (funcall parse (nth 1 r)))))
                   (_ (signal 'llm-native-invalid-spec (list "Unknown :format" format))))))
    (llm-native--start args (list :format format)
                       (llm-native--make-handle :on-record (plist-get args :on-record)
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
      (remhash id llm-native--registry)
      (when llm-native--runtime
        (llm-native--mod-cancel llm-native--runtime id)))
    (setf (llm-native-handle-finished handle) t)
    nil))

(defun llm-native--wait (handle)
  "Wait until HANDLE's terminal callback ran.
\\[keyboard-quit] cancels the request and quits."
  (let ((done nil))
    (unwind-protect
        (let ((inhibit-quit nil))
          (while (not (llm-native-handle-finished handle))
            (accept-process-output llm-native--pipe 0.05)
            (llm-native--drain)
            (when llm-native--inbox (llm-native--dispatch)))
          (setq done t))
      (unless done (llm-native-cancel handle)))))

(defun llm-native-request-sync (&rest args)
  "Make the request ARGS describes and wait for it; return its result.
ARGS are those of `llm-native-request' without the callbacks.  The
value is a plist (:status STATUS :records RECORDS).  A failure signals
its error symbol with data (MESSAGE . INFO).  \\[keyboard-quit] cancels the
request."
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

(defun llm-native--chat-start (&rest args)
  "Start a chat request described by ARGS; return its handle.
Keys: :url :headers :method (default \"POST\") :dialect :prompt (canonical
JSON) or :body, :streaming, :on-progress (TEXT REASONING), :on-done
\(RESULT plist), :on-error (SYMBOL MESSAGE INFO), and the timeout keys of
`llm-native-request'."
  (let ((body (plist-get args :body)))
    (llm-native--start
     ;; ARGS is the tail, not copied; the keys in front win.
     (cl-list* :method (or (plist-get args :method) "POST")
               :headers (append (plist-get args :headers)
                                '(("Content-Type" . "application/json")))
               args)
     ;; Without a body, the module builds it from the canonical prompt in one pass.
     (list :dialect (plist-get args :dialect) :streaming (plist-get args :streaming)
           :prompt (and (not body) (plist-get args :prompt)))
     (llm-native--make-handle :on-progress (plist-get args :on-progress)))))

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
