;;; llm-native-engine-test.el --- ERT tests of the native engine and its runtime  -*- lexical-binding: t; -*-

;;; Commentary:

;; Tests of `llm-native-request' and the runtime against the fake provider
;; server: records complete and in order, errors, timeouts, cancel,
;; concurrency, misbehaving callbacks, killed buffers, close and reopen.
;; Run under --module-assertions (see the Makefile).

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native-runtime)

(defun llm-native-engine-test--collect (url &rest args)
  "Request URL with ARGS; return a plist that fills as callbacks run.
The plist is (:records LIST :done INFO :error (SYMBOL MESSAGE INFO) :handle H)."
  (let ((state (list :records nil :done nil :error nil :buffers nil)))
    (setq state
          (plist-put state :handle
                     (apply #'llm-native-request
                            :url url
                            :on-record (lambda (r)
                                         (plist-put state :records
                                                    (cons r (plist-get state :records))))
                            :on-done (lambda (info)
                                       (plist-put state :buffers (list (current-buffer)))
                                       (plist-put state :done info))
                            :on-error (lambda (symbol message info)
                                        (plist-put state :buffers (list (current-buffer)))
                                        (plist-put state :error (list symbol message info)))
                            args)))
    state))

(defun llm-native-engine-test--finished (state)
  "Non-nil once STATE's request ran its terminal callback."
  (or (plist-get state :done) (plist-get state :error)))

(defun llm-native-engine-test--records (state)
  "STATE's records in arrival order."
  (reverse (plist-get state :records)))

(defun llm-native-engine-test--expected-sse (fixture)
  "The expected SSE events of FIXTURE as (:type :data :id) plists."
  (let* ((folder (car (split-string fixture "/")))
         (expected (with-temp-buffer
                     (insert-file-contents (llm-native-test-fixture-file (concat folder "/EXPECTED.json")))
                     (json-parse-buffer :object-type 'alist :array-type 'list))))
    (mapcar (lambda (e)
              (list :type (alist-get 'type e) :data (alist-get 'data e)
                    :id (let ((id (alist-get 'id e))) (and id (not (equal id "")) id))))
            (alist-get 'expected_events (alist-get (intern fixture) expected)))))

(ert-deftest llm-native-engine-sse-records-in-order-across-chunkings ()
  "SSE records arrive whole and in order however the server cuts the bytes."
  (dolist (fixture '("conformance/sse-multiline-data.sse" "conformance/sse-crlf.sse"
                     "conformance/sse-cr-only.sse" "conformance/sse-comments.sse"))
    (let ((expected (llm-native-engine-test--expected-sse fixture)))
      (dolist (chunk '("whole" "bytes" 3))
        (let ((state (llm-native-engine-test--collect
                      (concat (llm-native-test-scenario (list :fixture fixture :chunk chunk)) "/x")
                      :format 'sse)))
          (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
          (should (equal (plist-get state :done) '(:status 200)))
          (should (equal (llm-native-engine-test--records state) expected)))))))

(ert-deftest llm-native-engine-multibyte-text-intact ()
  "Multi-byte characters split across writes arrive intact."
  (let ((whole nil))
    (dolist (chunk '("whole" "utf8-split" "bytes"))
      (let ((state (llm-native-engine-test--collect
                    (concat (llm-native-test-scenario
                             (list :fixture "openai-chat/unicode.sse" :chunk chunk))
                            "/v1/chat/completions")
                    :format 'sse)))
        (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
        (should (plist-get state :done))
        (let ((records (llm-native-engine-test--records state)))
          (should (= (length records) 11))
          (should (equal (plist-get (car (last records)) :data) "[DONE]"))
          (should (string-match-p "日本語" (mapconcat (lambda (r) (plist-get r :data)) records "")))
          (if whole (should (equal records whole)) (setq whole records)))))))

(ert-deftest llm-native-engine-ndjson-and-json-array-records ()
  "NDJSON lines and JSON-array elements arrive as parsed Lisp values."
  (let ((state (llm-native-engine-test--collect
                (concat (llm-native-test-scenario
                         (list :fixture "conformance/ndjson-strings.ndjson" :chunk "bytes"))
                        "/api/chat")
                :format 'ndjson)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should (plist-get state :done))
    (should (= 3 (length (plist-get state :records))))
    (should (consp (car (plist-get state :records)))))
  (let ((state (llm-native-engine-test--collect
                (concat (llm-native-test-scenario
                         (list :fixture "conformance/json-array-tricky.json" :chunk 5))
                        "/stream")
                :format 'json-array :json-object-type 'plist)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should (plist-get state :done))
    (let ((records (llm-native-engine-test--records state)))
      (should (equal (plist-get (car records) :s) "] , [ } {"))
      (should (equal (plist-get (nth 3 records) :z) nil))
      (should (equal (plist-get (nth 3 records) :f) :false)))))

(ert-deftest llm-native-engine-whole-json-and-sync ()
  "A plain JSON response, through the synchronous call."
  (let* ((base (llm-native-test-scenario (list :body "{\"answer\": [1, 2, \"три\"]}")))
         (result (llm-native-request-sync :url (concat base "/q") :method "POST"
                                          :body "{\"q\": \"ünï\"}"
                                          :headers '(("X-Test" . "yes")))))
    (should (equal (plist-get result :status) 200))
    (should (equal (plist-get result :records) '(((answer . [1 2 "три"])))))
    (let ((req (car (llm-native-test-requests base))))
      (should (equal (alist-get 'method req) "POST"))
      (should (equal (alist-get 'body req) "{\"q\": \"ünï\"}"))
      (should (equal (alist-get 'x-test (alist-get 'headers req)) "yes")))))

(ert-deftest llm-native-engine-http-error-carries-body ()
  "HTTP 4xx and 5xx give an http error with the server's body, whatever format was asked."
  (dolist (status '(400 401 429 500 503))
    (let* ((body (format "{\"error\": {\"message\": \"status %d here\"}}" status))
           (state (llm-native-engine-test--collect
                   (concat (llm-native-test-scenario (list :status status :body body)) "/x")
                   :format 'sse)))
      (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
      (should-not (plist-get state :done))
      (pcase-let ((`(,symbol ,message ,info) (plist-get state :error)))
        (should (eq symbol 'llm-native-http-error))
        (should (string-match-p (number-to-string status) message))
        (should (string-match-p (format "status %d here" status) message))
        (should (equal (plist-get info :status) status))
        (should (equal (plist-get info :body) body)))
      (should (null (plist-get state :records))))))

(ert-deftest llm-native-engine-abrupt-close-is-an-error ()
  "A connection cut mid-record gives an error, never success."
  (let ((state (llm-native-engine-test--collect
                (concat (llm-native-test-scenario
                         (list :fixture "openai-chat/text-usage.sse" :close-after 300))
                        "/x")
                :format 'sse)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should-not (plist-get state :done))
    (should (eq (car (plist-get state :error)) 'llm-native-truncated))))

(ert-deftest llm-native-engine-truncated-record-is-an-error ()
  "A body that ends inside an event (no length, connection closed) is truncated."
  (let ((state (llm-native-engine-test--collect
                (concat (llm-native-test-scenario
                         (list :fixture "conformance/sse-no-final-blank-line.sse" :transfer "close"))
                        "/x")
                :format 'sse)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should-not (plist-get state :done))
    (should (eq (car (plist-get state :error)) 'llm-native-truncated))
    (should (= 1 (length (plist-get state :records))))))

(ert-deftest llm-native-engine-stall-times-out ()
  "A stall longer than the idle timeout fails with a timeout, in about that time."
  (let* ((start (float-time))
         (state (llm-native-engine-test--collect
                 (concat (llm-native-test-scenario
                          (list :fixture "openai-chat/text-usage.sse" :stall-after 1000
                                :stall-ms 8000))
                         "/x")
                 :format 'sse :idle-timeout 0.7)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)) 6)
    (should (eq (car (plist-get state :error)) 'llm-native-timeout))
    (should (< (- (float-time) start) 3))
    (should (plist-get state :records))))

(ert-deftest llm-native-engine-connection-refused ()
  "Nothing listening gives a connection error naming the cause."
  (let ((state (llm-native-engine-test--collect "http://127.0.0.1:1/x")))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should (eq (car (plist-get state :error)) 'llm-native-connection-error))
    (should (string-match-p "onnect" (nth 1 (plist-get state :error))))))

(ert-deftest llm-native-engine-cancel-stops-transfer-and-callbacks ()
  "Cancel mid-stream: the server sees the disconnect and no callback runs afterwards."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 400 :interval-ms 10))))
         (state (llm-native-engine-test--collect (concat base "/v1/chat/completions") :format 'sse)))
    (llm-native-test-wait-until (lambda () (>= (length (plist-get state :records)) 5)))
    (llm-native-cancel (plist-get state :handle))
    (let ((count (length (plist-get state :records))))
      (llm-native-test-settle 0.5)
      (should (= count (length (plist-get state :records))))
      (should-not (llm-native-engine-test--finished state)))
    (llm-native-test-wait-until
     (lambda () (eq t (alist-get 'disconnected (car (llm-native-test-requests base))))))))

(ert-deftest llm-native-engine-concurrent-streams ()
  "20 streams at once all complete with every record."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 300) :chunk 700)))
         (states (cl-loop repeat 20 collect
                          (llm-native-engine-test--collect (concat base "/v1/chat/completions")
                                                           :format 'sse)))
         (expected (alist-get 'text (progn
                                      (llm-native-test-wait-until
                                       (lambda () (cl-every #'llm-native-engine-test--finished states))
                                       30)
                                      (llm-native-test-expected base)))))
    (dolist (state states)
      (should (plist-get state :done))
      (let ((text (mapconcat
                   (lambda (r)
                     (let ((data (plist-get r :data)))
                       (if (equal data "[DONE]") ""
                         (let* ((chunk (json-parse-string data :object-type 'alist))
                                (choice (and (> (length (alist-get 'choices chunk)) 0)
                                             (aref (alist-get 'choices chunk) 0))))
                           (or (and choice (alist-get 'content (alist-get 'delta choice))) "")))))
                   (llm-native-engine-test--records state) "")))
        (should (equal text expected))))))

(ert-deftest llm-native-engine-signalling-callback-spares-others ()
  "A callback that signals does not stop other requests or its own later events."
  (let* ((base (llm-native-test-scenario (list :fixture "conformance/sse-multiline-data.sse")))
         (warning-minimum-log-level :emergency)
         (debug-on-error nil)
         (bad-records 0)
         (bad-done nil)
         (bad (llm-native-request :url (concat base "/bad") :format 'sse
                                  :on-record (lambda (_) (cl-incf bad-records) (error "Boom"))
                                  :on-done (lambda (_) (setq bad-done t))))
         (good (llm-native-engine-test--collect (concat base "/good") :format 'sse)))
    (ignore bad)
    (llm-native-test-wait-until (lambda () (and bad-done (llm-native-engine-test--finished good))))
    (should (= bad-records 4))
    (should (= 4 (length (plist-get good :records))))))

(ert-deftest llm-native-engine-callbacks-run-in-caller-buffer ()
  "Callbacks run in the caller's buffer, or in a live temporary one if it was killed."
  (let* ((base (llm-native-test-scenario (list :fixture "conformance/sse-crlf.sse" :delay-ms 50
                                               :chunk 10)))
         (caller (generate-new-buffer "caller"))
         (doomed (generate-new-buffer "doomed"))
         (state1 (with-current-buffer caller
                   (llm-native-engine-test--collect (concat base "/a") :format 'sse)))
         (state2 (with-current-buffer doomed
                   (llm-native-engine-test--collect (concat base "/b") :format 'sse))))
    (kill-buffer doomed)
    (llm-native-test-wait-until (lambda () (and (llm-native-engine-test--finished state1)
                                                (llm-native-engine-test--finished state2))))
    (should (eq (car (plist-get state1 :buffers)) caller))
    (should (plist-get state2 :done))
    (should (= 2 (length (plist-get state2 :records))))
    (should-not (eq (car (plist-get state2 :buffers)) doomed))
    (kill-buffer caller)))

(ert-deftest llm-native-engine-callbacks-never-before-return ()
  "No callback runs inside the call that starts a request."
  (let* ((base (llm-native-test-scenario (list :body "{}")))
         (ran nil))
    (llm-native-request :url (concat base "/x") :on-done (lambda (_) (setq ran t)))
    (should-not ran)
    (llm-native-test-wait-until (lambda () ran))))

(ert-deftest llm-native-engine-close-and-reopen ()
  "Closing cancels running requests with an error callback; the next request reopens."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 300 :interval-ms 20))))
         (state (llm-native-engine-test--collect (concat base "/x") :format 'sse)))
    (llm-native-test-wait-until (lambda () (plist-get state :records)))
    (llm-native-close)
    (should-not llm-native--runtime)
    (should-not (plist-get state :error))  ; never inside the call
    (llm-native-test-wait-until (lambda () (plist-get state :error)))
    (should (eq (car (plist-get state :error)) 'llm-native-cancelled))
    (let ((again (llm-native-engine-test--collect
                  (concat (llm-native-test-scenario (list :body "[1]")) "/y"))))
      (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished again)))
      (should (equal (plist-get again :records) '([1]))))))

(ert-deftest llm-native-engine-pipe-deleted-mid-stream ()
  "Deleting the doorbell pipe mid-stream closes the engine cleanly; it reopens after."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 300 :interval-ms 10))))
         (state (llm-native-engine-test--collect (concat base "/x") :format 'sse)))
    (llm-native-test-wait-until (lambda () (plist-get state :records)))
    (delete-process llm-native--pipe)
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should (eq (car (plist-get state :error)) 'llm-native-cancelled))
    (should-not llm-native--runtime)
    (let ((again (llm-native-engine-test--collect
                  (concat (llm-native-test-scenario (list :body "{\"ok\": true}")) "/y"))))
      (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished again)))
      (should (equal (plist-get again :records) '(((ok . t))))))))

(ert-deftest llm-native-engine-survives-gc-pressure ()
  "Requests complete while garbage collection runs between events."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "ollama" :tokens 200 :interval-ms 2))))
         (states (cl-loop repeat 5 collect
                          (llm-native-engine-test--collect (concat base "/api/chat")
                                                           :format 'ndjson))))
    (llm-native-test-wait-until
     (lambda () (garbage-collect) (cl-every #'llm-native-engine-test--finished states)) 20)
    (dolist (s states)
      (should (plist-get s :done))
      (should (= 201 (length (plist-get s :records)))))))

(ert-deftest llm-native-engine-record-size-limit ()
  "A record over the size limit is a too-large error; records before it arrive."
  (let* ((big (make-string 5000 ?x))
         (body (format "data: small\n\ndata: %s\n\ndata: after\n\n" big))
         (state (llm-native-engine-test--collect
                 (concat (llm-native-test-scenario (list :body body :content-type "text/event-stream"))
                         "/x")
                 :format 'sse :max-record-size 1000)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should (eq (car (plist-get state :error)) 'llm-native-too-large))
    (should (equal (plist-get (car (llm-native-engine-test--records state)) :data) "small"))))

(ert-deftest llm-native-engine-missing-content-type-uses-declared-format ()
  "Without a Content-Type the declared format frames the body."
  (let ((state (llm-native-engine-test--collect
                (concat (llm-native-test-scenario (list :fixture "conformance/ndjson-crlf.ndjson"
                                                        :content-type :null))
                        "/x")
                :format 'ndjson)))
    (llm-native-test-wait-until (lambda () (llm-native-engine-test--finished state)))
    (should (plist-get state :done))
    (should (= 2 (length (plist-get state :records))))))

(ert-deftest llm-native-engine-sync-quit-cancels ()
  "\\[keyboard-quit] during a synchronous request quits and cancels the transfer."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "ollama" :tokens 500 :interval-ms 10))))
         (timer (run-at-time 0.3 nil (lambda () (setq quit-flag t))))
         (outcome (condition-case nil
                      (progn (llm-native-request-sync :url (concat base "/api/chat")
                                                      :format 'ndjson)
                             'finished)
                    (quit 'quit))))
    (cancel-timer timer)
    (should (eq outcome 'quit))
    (llm-native-test-wait-until
     (lambda () (eq t (alist-get 'disconnected (car (llm-native-test-requests base))))))))

(ert-deftest llm-native-engine-bodiless-responses ()
  "A 204 and a HEAD request end with no records; an empty 200 where JSON was due fails."
  (let ((base (llm-native-test-scenario (list :status 204 :body ""))))
    (should (equal (llm-native-request-sync :url (concat base "/x") :method "DELETE")
                   '(:status 204 :records nil))))
  (let ((base (llm-native-test-scenario (list :body "{\"a\": 1}"))))
    (should (equal (plist-get (llm-native-request-sync :url (concat base "/x") :method "HEAD")
                              :records)
                   nil)))
  (let ((base (llm-native-test-scenario (list :body ""))))
    (should-error (llm-native-request-sync :url (concat base "/x")) :type 'llm-native-protocol-error)))

(ert-deftest llm-native-engine-proxy ()
  "A request with :proxy goes through that HTTP proxy."
  (let* ((base (llm-native-test-scenario (list :body "{\"via\": \"proxy\"}")))
         (token (car (last (split-string base "/" t))))
         (result (llm-native-request-sync
                  :url (format "http://llm-native-test.invalid/s/%s/x" token)
                  :proxy (format "http://127.0.0.1:%d" (llm-native-test-server-port)))))
    (should (equal (plist-get result :records) '(((via . "proxy")))))
    (let ((request (car (llm-native-test-requests base))))
      (should (eq (alist-get 'proxied request) t))
      (should (equal (alist-get 'host (alist-get 'headers request)) "llm-native-test.invalid")))))

(ert-deftest llm-native-engine-tls-verified-by-default ()
  "HTTPS certificates are verified: a self-signed one fails unless :insecure is given."
  (let* ((base (llm-native-test-scenario (list :body "[\"secure\"]")))
         (tls (llm-native-test-tls-base base)))
    (skip-unless tls)
    (let ((err (should-error (llm-native-request-sync :url (concat tls "/x"))
                             :type 'llm-native-connection-error)))
      (should (string-match-p "certificate" (cadr err))))
    (should (equal (plist-get (llm-native-request-sync :url (concat tls "/x") :insecure t) :records)
                   '(["secure"])))
    (should (eq (alist-get 'tls (car (last (llm-native-test-requests base)))) t))))

(ert-deftest llm-native-engine-request-list ()
  "The request list shows requests (never a URL's query) and cancels them."
  (require 'llm-native-monitor)
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 400 :interval-ms 10))))
         (state (llm-native-engine-test--collect (concat base "/v1/chat?key=SECRET") :format 'sse)))
    (llm-native-test-wait-until (lambda () (plist-get state :records)))
    (save-window-excursion
      (llm-native-list-requests)
      (with-current-buffer "*llm-native requests*"
        (should (string-match-p (regexp-quote (concat base "/v1/chat")) (buffer-string)))
        (should-not (string-match-p "SECRET" (buffer-string)))
        (goto-char (point-min))
        (while (and (not (eobp))
                    (not (eq (llm-native--req-handle (tabulated-list-get-id))
                             (plist-get state :handle))))
          (forward-line 1))
        (llm-native-monitor-cancel)
        ;; It stays listed, as cancelled.
        (should (string-match-p (concat " cancelled .*" (regexp-quote base)) (buffer-string)))))
    (should-not (memq (plist-get state :handle) (llm-native-running-requests)))
    (llm-native-test-wait-until
     (lambda () (eq t (alist-get 'disconnected (car (llm-native-test-requests base))))))))

(ert-deftest llm-native-engine-order-kept-across-nested-waits ()
  "A callback that waits on a synchronous request does not let later records overtake."
  (let* ((stream (list :generate (list :dialect "openai-chat" :tokens 60) :chunk 900 :delay-ms 20))
         (base (llm-native-test-scenario stream))
         (slow (llm-native-test-scenario (list :body "[]" :first-byte-delay-ms 150)))
         (plain (llm-native-engine-test--collect (concat base "/a") :format 'sse))
         (nested-done nil)
         (records nil)
         (handle (llm-native-request
                  :url (concat base "/b") :format 'sse
                  :on-record (lambda (r)
                               (push (plist-get r :data) records)
                               (when (= (length records) 1)
                                 (llm-native-request-sync :url (concat slow "/x"))
                                 (setq nested-done t)))
                  :on-done (lambda (_) (push 'done records)))))
    (ignore handle)
    (llm-native-test-wait-until (lambda () (and (eq (car records) 'done)
                                                (llm-native-engine-test--finished plain)))
                                20)
    (should nested-done)
    (should (equal (reverse (cdr records))
                   (mapcar (lambda (r) (plist-get r :data))
                           (llm-native-engine-test--records plain))))))

(ert-deftest llm-native-engine-bad-spec-signals ()
  "Misuse is signalled at once with a clear error."
  (should-error (llm-native-request :url "ftp://example.invalid/") :type 'llm-native-invalid-spec)
  (should-error (llm-native-request :url "http://127.0.0.1:1/" :format 'xml)
                :type 'llm-native-invalid-spec)
  (should-error (llm-native-request :url "http://127.0.0.1:1/" :headers '(("Bad\nName" . "v")))
                :type 'llm-native-invalid-spec)
  (should-error (llm-native-request :url 42) :type 'llm-native-invalid-spec))

(provide 'llm-native-engine-test)
;;; llm-native-engine-test.el ends here
