;;; llm-native-log.el --- Wire log, per-request figures, copy as curl  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; The runtime tells this file when a request starts and when it ends
;; (`llm-native--request-started', `llm-native--request-ended').  It keeps a
;; record of every running request and of the last few finished ones, with
;; the module's meter (bytes, status, time to first byte and token, end)
;; behind it; the request list, the mode-line status and the tester read
;; their figures through `llm-native--req-figures'.
;;
;; `llm-native-log-level' writes `*llm-native-log*' on the main thread: at
;; `info' one line per finished request, at `debug' also the request's
;; headers and body and the raw response as received (the module captures
;; it only for requests started while `debug' is on, up to
;; `llm-native-log-capture-limit' bytes each).  Secrets never reach the log
;; or the curl command: credential headers are replaced, keys in query
;; strings too, and any of those values found elsewhere in the request's
;; text is masked as well.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'url-parse)
(require 'llm-native-errors)
(require 'llm-native-loader)

(declare-function llm-native--mod-meter "ext:llm-native-module")
(declare-function llm-native--mod-meter-read "ext:llm-native-module")
(declare-function llm-native--mod-meter-raw "ext:llm-native-module")
(declare-function llm-native--mod-set-capture "ext:llm-native-module")
(declare-function llm-native-handle-id "llm-native-runtime")
(declare-function llm-native-handle-kind "llm-native-runtime")
(declare-function llm-native--status-changed "llm-native-status")
(defvar llm-native--runtime)

(defcustom llm-native-log-capture-limit 65536
  "Raw response bytes the `debug' log keeps of each request."
  :type 'natnum
  :group 'llm-native)

(defcustom llm-native-log-level nil
  "What llm-native writes to `*llm-native-log*'.
nil: nothing (and nothing is measured for it).  `info': one line per
request when it ends: time, id, method, URL without its query,
status, bytes, duration, time to first byte, tokens and outcome.
`debug': also the request's headers (credentials replaced) and body,
and the raw response as received, up to `llm-native-log-capture-limit'
bytes.  Raw capture applies to the requests started after the change."
  :type '(choice (const :tag "Off" nil) (const info) (const debug))
  :group 'llm-native)

(defun llm-native--log-apply-capture (level limit)
  "Tell the module what raw response bytes new requests keep.
LEVEL and LIMIT are the values of the two options."
  (cond ((eq level 'debug)
         (llm-native--ensure-module)
         (llm-native--mod-set-capture (max 0 limit)))
        ((featurep 'llm-native-module)
         (llm-native--mod-set-capture 0))))

(defun llm-native--log-watch (symbol value operation where)
  "Apply the capture setting when SYMBOL gets VALUE by OPERATION.
Buffer-local settings (WHERE non-nil) do not count."
  (when (and (memq operation '(set let unlet)) (null where))
    (if (eq symbol 'llm-native-log-level)
        (llm-native--log-apply-capture value llm-native-log-capture-limit)
      (llm-native--log-apply-capture llm-native-log-level value))))

;; Watchers, not :set: a plain `setq' must start and stop the capture too.
(add-variable-watcher 'llm-native-log-level #'llm-native--log-watch)
(add-variable-watcher 'llm-native-log-capture-limit #'llm-native--log-watch)
(when (eq llm-native-log-level 'debug)
  (llm-native--log-apply-capture llm-native-log-level llm-native-log-capture-limit))

(defcustom llm-native-log-max-size 1000000
  "Characters `*llm-native-log*' keeps; the oldest lines go first."
  :type 'natnum
  :group 'llm-native)

(defcustom llm-native-history-size 20
  "Finished requests remembered for the request list and copy as curl."
  :type 'natnum
  :group 'llm-native)

(cl-defstruct (llm-native--req (:constructor llm-native--make-req) (:copier nil))
  "What llm-native remembers of one request."
  handle id spec meter
  (outcome nil :documentation "nil while running; then `done', `cancelled' or an error symbol.")
  message input-tokens output-tokens
  (final nil :documentation "The meter's last reading, kept once the request ended."))

(defvar llm-native--reqs (make-hash-table :test 'eq)
  "Handle to `llm-native--req', for every running request.")
(defvar llm-native--history nil "Finished requests, newest first.")
(defvar llm-native--last-req nil "The request started last.")

;;;; Hooks called by the runtime

(defun llm-native--request-started (handle spec)
  "Remember HANDLE, started with the module plist SPEC."
  (let ((req (llm-native--make-req
              :handle handle :id (llm-native-handle-id handle) :spec spec
              :meter (and llm-native--runtime
                          (llm-native--mod-meter llm-native--runtime
                                                 (llm-native-handle-id handle))))))
    (puthash handle req llm-native--reqs)
    (setq llm-native--last-req req)
    (when (eq llm-native-log-level 'debug) (llm-native--log-request req))
    (llm-native--status-changed)))

(defun llm-native--request-ended (handle outcome)
  "Note that HANDLE ended with OUTCOME: its terminal event, or `cancelled'."
  (when-let ((req (gethash handle llm-native--reqs)))
    (remhash handle llm-native--reqs)
    (pcase outcome
      ('cancelled (setf (llm-native--req-outcome req) 'cancelled))
      (`(,_ done . ,rest)
       (setf (llm-native--req-outcome req) 'done)
       (let ((result (nth 1 rest)))
         (when (vectorp result)
           (setf (llm-native--req-input-tokens req) (aref result 3)
                 (llm-native--req-output-tokens req) (aref result 4)))))
      (`(,_ error ,code ,message . ,_)
       (setf (llm-native--req-outcome req)
             (alist-get code llm-native--error-symbols 'llm-native-internal-error)
             (llm-native--req-message req) message))
      (`(,(and symbol (pred symbolp)) ,message)  ; a failure on the Emacs side
       (setf (llm-native--req-outcome req) symbol
             (llm-native--req-message req) message))
      (_ (setf (llm-native--req-outcome req) 'llm-native-internal-error)))
    (setf (llm-native--req-final req) (llm-native--read-meter req))
    (push req llm-native--history)
    (when (> (length llm-native--history) llm-native-history-size)
      (setcdr (nthcdr (max 0 (1- llm-native-history-size)) llm-native--history) nil))
    (when llm-native-log-level (llm-native--log-response req))
    (llm-native--status-changed)))

;;;; Figures

(defun llm-native--read-meter (req)
  "The meter vector of REQ, or nil when it has none."
  (let ((meter (llm-native--req-meter req)))
    (and meter (llm-native--mod-meter-read meter))))

(defun llm-native--req-figures (req)
  "Return a plist of REQ's figures.
Keys: :state (`waiting', `receiving', or its outcome), :status, :bytes,
:first-byte and :first-token (seconds after the start, or nil),
:seconds (duration so far), :tokens (output tokens; while streaming an
estimate, text bytes / 4) and :tokens-per-second (from the first token)."
  (let* ((m (or (llm-native--req-final req) (llm-native--read-meter req)))
         (outcome (llm-native--req-outcome req))
         (first-byte (and m (aref m 2)))
         (first-token (and m (aref m 3)))
         (seconds (and m (or (aref m 4) (aref m 6))))
         (tokens (or (llm-native--req-output-tokens req)
                     (and m (> (aref m 5) 0) (/ (aref m 5) 4))))
         (span (and first-token seconds (- seconds first-token))))
    (list :state (cond (outcome outcome) ((and m first-byte) 'receiving) (t 'waiting))
          :status (and m (aref m 1))
          :bytes (and m (aref m 0))
          :first-byte first-byte
          :first-token first-token
          :seconds seconds
          :tokens tokens
          :tokens-per-second (and tokens span (> span 0.001) (/ tokens span)))))

(defun llm-native--running-reqs ()
  "The records of the running requests, oldest first."
  (let (reqs)
    (maphash (lambda (_ req) (push req reqs)) llm-native--reqs)
    (sort reqs (lambda (a b) (< (llm-native--req-id a) (llm-native--req-id b))))))

;;;; Secrets

(defconst llm-native--secret-headers
  '("authorization" "proxy-authorization" "x-api-key" "x-goog-api-key" "api-key" "cookie")
  "Header names whose values are credentials.")

(defun llm-native--secret-name-p (name)
  "Non-nil when a header or query parameter NAME carries a credential."
  (let ((name (downcase name)))
    (or (member name llm-native--secret-headers)
        (string-match-p "key\\|token\\|secret\\|passw\\|auth\\|cookie\\|signature" name))))

(defun llm-native--split-header (header)
  "Split HEADER, \"Name: value\", into (NAME . VALUE)."
  (let ((colon (string-search ":" header)))
    (cons (substring header 0 colon) (string-trim-left (substring header (1+ colon))))))

(defun llm-native--url-parts (url)
  "Split URL into (BASE USERINFO QUERY): QUERY is an alist of (NAME . VALUE)."
  (let* ((hash (string-search "#" url))
         (url (if hash (substring url 0 hash) url))
         (mark (string-search "?" url))
         (base (if mark (substring url 0 mark) url))
         (query (and mark (substring url (1+ mark))))
         (userinfo nil))
    (when (string-match "\\`\\([a-zA-Z][a-zA-Z0-9+.-]*://\\)\\([^/@]*\\)@" base)
      (setq userinfo (match-string 2 base)
            base (concat (match-string 1 base) (substring base (match-end 0)))))
    (list base userinfo
          (and query
               (mapcar (lambda (pair)
                         (let ((eq (string-search "=" pair)))
                           (if eq (cons (substring pair 0 eq) (substring pair (1+ eq)))
                             (cons pair nil))))
                       (split-string query "&" t))))))

(defun llm-native--safe-url (url &optional keep-query)
  "URL without userinfo and, unless KEEP-QUERY, without its query.
With KEEP-QUERY the values of credential parameters are replaced."
  (pcase-let ((`(,base ,_ ,query) (if (string-match-p "[?#@]" url)
                                         (llm-native--url-parts url)
                                       (list url nil nil))))
    (if (and keep-query query)
        (concat base "?"
                (mapconcat (lambda (p)
                             (cond ((null (cdr p)) (car p))
                                   ((llm-native--secret-name-p (car p)) (concat (car p) "=<redacted>"))
                                   (t (concat (car p) "=" (cdr p)))))
                           query "&"))
      base)))

(defun llm-native--spec-secrets (spec)
  "The credential strings in SPEC's headers and URL, longest first."
  (let (secrets)
    (dolist (header (plist-get spec :headers))
      (pcase-let ((`(,name . ,value) (llm-native--split-header header)))
        (when (and (llm-native--secret-name-p name) (not (string-empty-p value)))
          (push value secrets)
          (when (string-match "\\`[A-Za-z]+ +\\(.+\\)" value)
            (push (match-string 1 value) secrets)))))
    (pcase-let ((`(,_ ,userinfo ,query) (llm-native--url-parts (plist-get spec :url))))
      (when (and userinfo (not (string-empty-p userinfo))) (push userinfo secrets))
      (dolist (p query)
        (when (and (cdr p) (not (string-empty-p (cdr p))) (llm-native--secret-name-p (car p)))
          (push (cdr p) secrets))))
    (sort (delete-dups secrets) (lambda (a b) (> (length a) (length b))))))

;;;; The log buffer

(defun llm-native--log-write (text)
  "Append TEXT to `*llm-native-log*', dropping the oldest lines beyond the limit."
  (with-current-buffer (get-buffer-create "*llm-native-log*")
    (unless (eq buffer-undo-list t) (buffer-disable-undo))
    (let ((inhibit-read-only t)
          (at-end (= (point) (point-max))))
      (save-excursion
        (goto-char (point-max))
        (insert text)
        (unless (bolp) (insert "\n"))
        (when (> (buffer-size) llm-native-log-max-size)
          ;; Cut to three quarters, at a line start, so trimming is rare.
          (goto-char (+ (point-min) (- (buffer-size) (/ (* 3 llm-native-log-max-size) 4))))
          (forward-line 1)
          (delete-region (point-min) (point))))
      (when at-end (goto-char (point-max))))))

(defun llm-native--log-prefix (req direction)
  "The start of a log line about REQ: time, id and DIRECTION (a string)."
  (format "%s #%d %s" (format-time-string "%F %T.%3N") (llm-native--req-id req) direction))

(defun llm-native--log-request (req)
  "Write REQ's method, URL, headers and body (the `debug' log)."
  (let* ((spec (llm-native--req-spec req))
         (secrets (llm-native--spec-secrets spec))
         (prefix (llm-native--log-prefix req ">"))
         (body (plist-get spec :body)))
    (llm-native--log-write
     (concat
      (format "%s %s %s\n" prefix (plist-get spec :method)
              (llm-native--safe-url (plist-get spec :url) t))
      (mapconcat (lambda (header)
                   (pcase-let ((`(,name . ,value) (llm-native--split-header header)))
                     (format "%s %s: %s\n" prefix name
                             (if (llm-native--secret-name-p name) "<redacted>"
                               (llm-native--mask value secrets)))))
                 (plist-get spec :headers) "")
      (if body
          (format "%s body (%d bytes):\n%s\n" prefix (string-bytes body)
                  (llm-native--mask body secrets))
        "")))))

(defun llm-native--log-response (req)
  "Write REQ's summary line, after its raw response when `debug' captured one."
  (let* ((raw (and (eq llm-native-log-level 'debug) (llm-native--req-meter req)
                   (llm-native--mod-meter-raw (llm-native--req-meter req))))
         ;; Only the raw bytes and an error's message can hold a secret.
         (secrets (and (or raw (llm-native--req-message req))
                       (llm-native--spec-secrets (llm-native--req-spec req)))))
    (llm-native--log-write
     (concat
      (if raw
          (format "%s response as received (%d bytes%s):\n%s\n"
                  (llm-native--log-prefix req "<") (length (car raw))
                  (if (cdr raw) (format ", cut at %d" llm-native-log-capture-limit) "")
                  (llm-native--mask (decode-coding-string (car raw) 'utf-8) secrets))
        "")
      (llm-native--summary-line req secrets)
      "\n"))))

(defun llm-native--summary-line (req &optional secrets)
  "The `info' line of the finished REQ; its error message masks SECRETS."
  (let* ((spec (llm-native--req-spec req))
         (figures (llm-native--req-figures req))
         (outcome (llm-native--req-outcome req)))
    (format "%s %s %s %s %dB %.3fs ttfb=%s tokens=%s/%s %s"
            (llm-native--log-prefix req "=") (plist-get spec :method)
            (llm-native--safe-url (plist-get spec :url))
            (or (plist-get figures :status) "-")
            (or (plist-get figures :bytes) 0)
            (or (plist-get figures :seconds) 0)
            (if (plist-get figures :first-byte) (format "%.3fs" (plist-get figures :first-byte)) "-")
            (or (llm-native--req-input-tokens req) "-")
            (or (llm-native--req-output-tokens req) "-")
            (pcase outcome
              ('done "done")
              ('cancelled "cancelled")
              (_ (format "%s: %s" outcome
                         (llm-native--mask (or (llm-native--req-message req) "") secrets)))))))

;;;; Copy as curl

(defun llm-native--curl-variable (name url)
  "Return the environment variable to hold header NAME's secret for URL in curl."
  (let ((name (downcase name))
        (host (or (ignore-errors (url-host (url-generic-parse-url url))) "")))
    (cond ((string= name "cookie") "LLM_COOKIE")
          ((string= name "proxy-authorization") "PROXY_AUTHORIZATION")
          ((string-match-p "anthropic" host) "ANTHROPIC_API_KEY")
          ((string-match-p "aiplatform" host) "VERTEX_ACCESS_TOKEN")
          ((string-match-p "generativelanguage\\|googleapis" host) "GEMINI_API_KEY")
          ((string-match-p "azure" host) "AZURE_OPENAI_API_KEY")
          ((string-match-p "openai" host) "OPENAI_API_KEY")
          ((string-match-p "deepseek" host) "DEEPSEEK_API_KEY")
          ((string-match-p "openrouter" host) "OPENROUTER_API_KEY")
          (t "LLM_API_KEY"))))

(defun llm-native--sh-word (parts)
  "Quote PARTS for a POSIX shell: strings literally, (VAR) as a $VAR reference."
  (if (cl-every #'stringp parts)
      (concat "'" (string-replace "'" "'\\''" (apply #'concat parts)) "'")
    (concat "\""
            (mapconcat (lambda (part)
                         (if (stringp part)
                             (replace-regexp-in-string "[\"$`\\\\]" "\\\\\\&" part)
                           (concat "$" (car part))))
                       parts "")
            "\"")))

(defun llm-native--curl-command (req)
  "A curl command repeating REQ, its secrets replaced by environment variables."
  (let* ((spec (llm-native--req-spec req))
         (url (plist-get spec :url))
         (method (plist-get spec :method))
         (body (plist-get spec :body))
         (words (list "curl" "-N")))
    (unless (equal method (if body "POST" "GET"))
      (setq words (append words (list "-X" method))))
    (pcase-let ((`(,base ,_ ,query) (llm-native--url-parts url)))
      (let ((parts (list base)) (separator "?"))
        (dolist (p query)
          (setq parts (append parts (list (concat separator (car p))))
                separator "&")
          (when (cdr p)
            (setq parts (append parts
                                (if (llm-native--secret-name-p (car p))
                                    (list "=" (list (llm-native--curl-variable (car p) url)))
                                  (list (concat "=" (cdr p))))))))
        (setq words (append words (list (llm-native--sh-word parts))))))
    (dolist (header (plist-get spec :headers))
      (pcase-let ((`(,name . ,value) (llm-native--split-header header)))
        (setq words
              (append words
                      (list "-H"
                            (llm-native--sh-word
                             (if (llm-native--secret-name-p name)
                                 (let ((var (list (llm-native--curl-variable name url))))
                                   (if (string-match "\\`\\(Bearer\\|Basic\\|Token\\) +" value)
                                       (list name ": " (match-string 0 value) var)
                                     (list name ": " var)))
                               (list (concat name ": " value)))))))))
    (when body
      (setq words (append words (list "--data-binary"
                                      (llm-native--sh-word
                                       (list (llm-native--mask body (llm-native--spec-secrets spec))))))))
    (mapconcat #'identity words " ")))

(defvar llm-native-copy-as-curl-function nil
  "When non-nil, a function returning the request `llm-native-copy-as-curl' copies.
The request list binds it locally to the request at point.")

;;;###autoload
(defun llm-native-copy-as-curl ()
  "Put a curl command repeating the last request on the kill ring.
In the request list, the request at point.  Credentials in headers
and query strings become environment variable references such as
$OPENAI_API_KEY."
  (interactive)
  (let ((req (or (and llm-native-copy-as-curl-function
                      (funcall llm-native-copy-as-curl-function))
                 llm-native--last-req)))
    (unless req (user-error "No llm-native request has run yet"))
    (let ((command (llm-native--curl-command req)))
      (kill-new command)
      (message "Copied a curl command for request #%d" (llm-native--req-id req))
      command)))

(provide 'llm-native-log)
;;; llm-native-log.el ends here
