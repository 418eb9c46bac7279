;;; llm-native-hostile-test.el --- A hostile server against llm-native  -*- lexical-binding: t; -*-

;;; Commentary:

;; Each test points llm-native at one trick of tests/server/hostile_server.py
;; (127.0.0.1 only, bounded lifetime) and asserts the outcome: the request
;; fails with its error symbol, Emacs stays alive and responsive, memory stays
;; bounded, other requests finish, and no key reaches another origin.  The
;; figures the flood tests measure are printed; their bounds are generous, so
;; that they cannot flake, and the benchmarks (make bench) report the figures.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native-runtime)

(defvar llm-native-hostile--server nil "The hostile server process.")

(defun llm-native-hostile--port (which)
  "The hostile server's port WHICH: `port', `other' or `tls'.
Starts the server if needed."
  (unless (process-live-p llm-native-hostile--server)
    (setq llm-native-hostile--server
          (llm-native-test-start-server "llm-native-hostile-server" "hostile_server.py"
                                        "PORT" "OTHER_PORT")))
  (llm-native-test-printed-port llm-native-hostile--server
                                (pcase which ('port "PORT") ('other "OTHER_PORT") ('tls "TLS_PORT"))))

(defun llm-native-hostile--url (path &optional which)
  "URL of PATH on the hostile server's listener WHICH (default `port')."
  (format "%s://127.0.0.1:%d%s" (if (eq which 'tls) "https" "http")
          (llm-native-hostile--port (or which 'port)) path))

(defun llm-native-hostile--recorded (listener)
  "The requests LISTENER (\"main\" or \"other\") received, as alists (via curl)."
  (with-temp-buffer
    (call-process "curl" nil t nil "-sS" "--max-time" "10"
                  (llm-native-hostile--url (concat "/_control/requests?listener=" listener)))
    (goto-char (point-min))
    (json-parse-buffer :object-type 'alist :array-type 'list)))

(defun llm-native-hostile--rss-kb ()
  "This Emacs's resident set size in KiB (VmRSS)."
  (with-temp-buffer
    (insert-file-contents "/proc/self/status")
    (goto-char (point-min))
    (re-search-forward "^VmRSS:[ \t]+\\([0-9]+\\)")
    (string-to-number (match-string 1))))

(defun llm-native-hostile--rss-allowance-kb (kib)
  "KIB, plus what AddressSanitizer's quarantine may hold when it is loaded.
Under `make asan' freed memory stays resident in the quarantine (256 MiB
by default), which is the sanitizer's, not the engine's."
  (if (cl-some (lambda (var) (string-match-p "\\`LD_PRELOAD=.*libasan" var))
               initial-environment)
      (+ kib (* 256 1024))
    kib))

(defun llm-native-hostile--sync-error (&rest args)
  "Run `llm-native-request-sync' with ARGS; return the error it signals.
The value is (SYMBOL . DATA), or nil when it succeeded."
  (condition-case err
      (progn (apply #'llm-native-request-sync args) nil)
    (llm-native-request-error err)))

(defun llm-native-hostile--chat (path &rest args)
  "Run a streamed OpenAI chat against PATH to its end; return (RESULT . ERROR).
ARGS are further keys for `llm-native--chat-request'."
  (let* ((done nil) (failure nil)
         (handle (apply #'llm-native--chat-request
                        :url (llm-native-hostile--url path) :dialect "openai-chat" :streaming t
                        :body "{}"
                        :on-done (lambda (r) (setq done (or r t)))
                        :on-error (lambda (sym msg _info) (setq failure (list sym msg)))
                        args)))
    (llm-native-test-wait-until (lambda () (llm-native-handle-finished handle)) 60)
    (cons done failure)))

(defmacro llm-native-hostile--watching (spec &rest body)
  "Run BODY while a 20 ms repeating timer measures lateness and RSS.
SPEC is (LATENESS PEAK-RSS): variables bound, after BODY, to the worst
lateness in seconds and the peak VmRSS in KiB seen by the timer."
  (declare (indent 1))
  (let ((timer (make-symbol "timer")) (last (make-symbol "last")))
    `(let* ((,(car spec) 0.0) (,(cadr spec) (llm-native-hostile--rss-kb))
            (,last (float-time))
            (,timer (run-at-time 0.02 0.02
                                 (lambda ()
                                   (let ((now (float-time)))
                                     (setq ,(car spec) (max ,(car spec) (- now ,last 0.02))
                                           ,last now
                                           ,(cadr spec) (max ,(cadr spec)
                                                             (llm-native-hostile--rss-kb))))))))
       (unwind-protect (progn ,@body)
         (cancel-timer ,timer)))))

;;;; 1. Parsing cannot overflow, and stays within what Emacs reads

(ert-deftest llm-native-hostile-deep-ndjson ()
  "A million-level NDJSON line fails its request; Emacs lives; shallow nesting passes."
  (let ((err (llm-native-hostile--sync-error :url (llm-native-hostile--url "/deep-ndjson?n=1000000")
                                             :format 'ndjson)))
    (should (eq (car err) 'llm-native-protocol-error))
    (should (string-match-p "nested deeper than 512" (cadr err))))
  (should (eq (car (llm-native-hostile--sync-error :url (llm-native-hostile--url "/deep-ndjson?n=513")
                                                   :format 'ndjson))
              'llm-native-protocol-error))
  (let ((records (plist-get (llm-native-request-sync :url (llm-native-hostile--url "/deep-ndjson?n=100")
                                                     :format 'ndjson)
                            :records)))
    (should (= (length records) 1))))

(ert-deftest llm-native-hostile-deep-chat-sse ()
  "A million-level record as the data of a chat SSE event is a protocol error."
  (pcase-let ((`(,done . ,failure) (llm-native-hostile--chat "/deep-sse?n=1000000")))
    (should-not done)
    (should (eq (car failure) 'llm-native-protocol-error))
    (should (string-match-p "nested deeper than 512" (cadr failure)))))

(ert-deftest llm-native-hostile-big-integer-and-nul ()
  "2^63 and \\u0000 fail their request, in a record and in tool arguments."
  (let ((err (llm-native-hostile--sync-error :url (llm-native-hostile--url "/bigint-ndjson")
                                             :format 'ndjson)))
    (should (eq (car err) 'llm-native-protocol-error))
    (should (string-match-p "64-bit range" (cadr err))))
  (let ((err (llm-native-hostile--sync-error :url (llm-native-hostile--url "/nul-ndjson")
                                             :format 'ndjson)))
    (should (eq (car err) 'llm-native-protocol-error))
    (should (string-match-p "u0000" (cadr err))))
  (pcase-let ((`(,done . ,failure) (llm-native-hostile--chat "/bigint-tool-sse")))
    (should-not done)
    (should (eq (car failure) 'llm-native-protocol-error))
    (should (string-match-p "64-bit range" (cadr failure)))))

;;;; 2. Budgets: decoded size, queued events, one drain

(ert-deftest llm-native-hostile-gzip-bomb ()
  "A gzip body inflating to 256 MiB fails at a 16 MiB budget; memory stays bounded.
Another request started beside it finishes normally."
  (garbage-collect)
  (let ((base (llm-native-hostile--rss-kb)) (ok nil) result)
    (llm-native-hostile--watching (lateness peak)
      (llm-native-request :url (llm-native-hostile--url "/ok")
                          :on-done (lambda (info) (setq ok (plist-get info :status))))
      (setq result (llm-native-hostile--chat "/gzip-bomb?mb=256"
                                             :max-response-size (* 16 1024 1024)))
      (llm-native-test-wait-until (lambda () ok) 20)
      (message "gzip bomb: worst timer lateness %.3f s, RSS growth %d KiB"
               lateness (- peak base))
      (should (< lateness 1.0))
      (should (< (- peak base) (llm-native-hostile--rss-allowance-kb (* 200 1024)))))
    (should-not (car result))
    (should (eq (car (cdr result)) 'llm-native-too-large))
    (should (eql ok 200))))

(defun llm-native-hostile--inbox-events ()
  "Events drained from the module and not yet dispatched."
  (- (apply #'+ (mapcar #'length llm-native--inbox)) llm-native--inbox-next))

(ert-deftest llm-native-hostile-flood ()
  "A million tiny SSE events: every one arrives, Emacs stays responsive, memory bounded.
Lisp never holds more than one drained batch (1,024 events): the
backlog waits in the module, which pauses the transfer."
  (garbage-collect)
  (let ((base (llm-native-hostile--rss-kb)) (count 0) (status nil) (ok nil) (start (float-time))
        (inbox-peak 0))
    (llm-native-hostile--watching (lateness peak)
      (llm-native-request :url (llm-native-hostile--url "/flood?n=1000000") :format 'sse
                          :on-record (lambda (_r)
                                       (cl-incf count)
                                       ;; As a callback that waits for output would:
                                       ;; the pipe's filter drains mid-dispatch.
                                       (when (zerop (% count 10007)) (llm-native--drain))
                                       (when (zerop (% count 97))
                                         (setq inbox-peak (max inbox-peak
                                                               (llm-native-hostile--inbox-events)))))
                          :on-done (lambda (info) (setq status (plist-get info :status)))
                          :on-error (lambda (sym msg _) (setq status (list sym msg))))
      (llm-native-test-wait-until (lambda () (>= count 1000)) 30)
      ;; A request made in the middle of the flood finishes.
      (llm-native-request :url (llm-native-hostile--url "/ok")
                          :on-done (lambda (info) (setq ok (plist-get info :status))))
      (llm-native-test-wait-until (lambda () status) 300)
      (message "flood: %d events in %.1f s, worst timer lateness %.3f s, RSS growth %d KiB, \
largest inbox %d events"
               count (- (float-time) start) lateness (- peak base) inbox-peak)
      (should (eql status 200))
      (should (<= inbox-peak 1024))
      (should (= count 1000000))
      (should (eql ok 200))
      (should (< lateness 1.0))
      (should (< (- peak base) (llm-native-hostile--rss-allowance-kb (* 300 1024)))))))

;;;; 3. Redirects

(defconst llm-native-hostile--keys
  '(("Authorization" . "Bearer sk-secret-1") ("x-api-key" . "sk-secret-2")
    ("x-goog-api-key" . "sk-secret-3") ("api-key" . "sk-secret-4")
    ("Cookie" . "session=sk-secret-5") ("X-Custom-Token" . "sk-secret-6"))
  "Credential headers no other origin may see.")

(defun llm-native-hostile--other-saw (since)
  "Requests the other origin recorded after the first SINCE."
  (nthcdr since (llm-native-hostile--recorded "other")))

(ert-deftest llm-native-hostile-redirect-cross-origin ()
  "Cross-origin redirects are refused by default; allowed, they carry no key and no body."
  (let* ((before (length (llm-native-hostile--recorded "other")))
         (other (llm-native-hostile--url "/landing" 'other))
         (redirect (lambda (code) (llm-native-hostile--url
                                   (format "/redirect?code=%d&to=%s" code (url-hexify-string other))))))
    ;; Default policy: same origin only.
    (let ((err (llm-native-hostile--sync-error :url (funcall redirect 302) :method "POST"
                                               :body "{\"prompt\":\"private\"}"
                                               :headers llm-native-hostile--keys)))
      (should (eq (car err) 'llm-native-http-error))
      (should (string-match-p "another origin" (cadr err))))
    (should-not (llm-native-hostile--other-saw before))
    ;; A 307 would re-send the body: refused even when cross-origin is allowed.
    (let ((err (llm-native-hostile--sync-error :url (funcall redirect 307) :method "POST"
                                               :body "{\"prompt\":\"private\"}"
                                               :headers llm-native-hostile--keys
                                               :redirects 'cross-origin)))
      (should (eq (car err) 'llm-native-http-error))
      (should (string-match-p "body" (cadr err))))
    (should-not (llm-native-hostile--other-saw before))
    ;; Allowed: followed as a GET without the body and without any credential.
    (should (eql 200 (plist-get (llm-native-request-sync
                                 :url (funcall redirect 302) :method "POST"
                                 :body "{\"prompt\":\"private\"}"
                                 :headers llm-native-hostile--keys
                                 :secret-headers '("x-custom-token")
                                 :redirects 'cross-origin)
                                :status)))
    (let ((seen (llm-native-hostile--other-saw before)))
      (should (= (length seen) 1))
      (should (equal (alist-get 'method (car seen)) "GET"))
      (should (equal (alist-get 'body (car seen)) ""))
      (dolist (header (alist-get 'headers (car seen)))
        (should-not (string-match-p "sk-secret" (cadr header)))))))

(ert-deftest llm-native-hostile-redirect-same-origin ()
  "A same-origin redirect is followed with the request's headers and body."
  (let* ((before (length (llm-native-hostile--recorded "main")))
         (url (llm-native-hostile--url "/redirect?code=307&to=/ok")))
    (should (eql 200 (plist-get (llm-native-request-sync :url url :method "POST" :body "{\"a\":1}"
                                                         :headers '(("x-api-key" . "k")))
                                :status)))
    (let ((landing (car (last (llm-native-hostile--recorded "main") 2))))
      (should (> (length (llm-native-hostile--recorded "main")) before))
      (should (equal (alist-get 'path landing) "/ok"))
      (should (equal (alist-get 'method landing) "POST"))
      (should (equal (alist-get 'body landing) "{\"a\":1}"))
      (should (assoc "x-api-key" (alist-get 'headers landing))))))

(ert-deftest llm-native-hostile-redirect-https-to-http ()
  "No redirect goes from https to http, whatever the policy."
  (skip-unless (llm-native-hostile--port 'tls))
  (let* ((before (length (llm-native-hostile--recorded "other")))
         (target (llm-native-hostile--url "/landing" 'other))
         (err (llm-native-hostile--sync-error
               :url (llm-native-hostile--url (concat "/redirect?code=302&to=" (url-hexify-string target))
                                             'tls)
               :insecure t :redirects 'cross-origin
               :headers llm-native-hostile--keys)))
    (should (eq (car err) 'llm-native-http-error))
    (should (string-match-p "https to http" (cadr err)))
    (should-not (llm-native-hostile--other-saw before))))

;;;; 4. Response headers

(ert-deftest llm-native-hostile-huge-header ()
  "A response header over the limit is a protocol error that names it, not \"Out of memory\"."
  (let ((err (llm-native-hostile--sync-error :url (llm-native-hostile--url "/huge-header?kb=80"))))
    (should (eq (car err) 'llm-native-protocol-error))
    (should (string-match-p "X-Huge" (cadr err))))
  (let ((err (llm-native-hostile--sync-error :url (llm-native-hostile--url "/huge-header?kb=300"))))
    (should (eq (car err) 'llm-native-protocol-error))
    (should-not (string-match-p "Out of memory" (cadr err)))))

(ert-deftest llm-native-hostile-control-characters ()
  "NUL, CR and LF in a URL or header value are refused; the message names no value."
  (should-error (llm-native-request :url "http://127.0.0.1:1/a\0b") :type 'llm-native-error)
  (let ((err (should-error (llm-native-request :url (llm-native-hostile--url "/ok")
                                               :headers '(("x-api-key" . "sk-sec\r\nInjected: ret")))
                           :type 'llm-native-error)))
    (should-not (string-match-p "sk-sec" (format "%S" err)))))

(provide 'llm-native-hostile-test)
;;; llm-native-hostile-test.el ends here
