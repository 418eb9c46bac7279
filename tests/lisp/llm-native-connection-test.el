;;; llm-native-connection-test.el --- ERT tests of warm connections  -*- lexical-binding: t; -*-

;;; Commentary:

;; Connection reuse, the one transparent retry of a request whose reused
;; connection the server closed before answering, no retry once part of the
;; answer arrived, and `llm-native-preconnect'.  The retry is libcurl's own
;; (a reused connection that dies before any byte of the answer, header
;; bytes included, is replaced by a new one); these tests hold it to that,
;; for a FIN and for a reset, over plain HTTP and TLS.  Every test starts on a fresh
;; engine (`llm-native-close'), so which connection a request gets is known.
;; The fake server says whether each request came on a connection that had
;; answered before (`reused') and whether it closed it (`closed_by_server').

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)

(defvar llm-warn-on-nonfree)

(defun llm-native-connection-test--provider (base)
  "An OpenAI-compatible provider aimed at the scenario BASE."
  (make-llm-openai-compatible :url (concat base "/v1/") :key "test-key" :chat-model "test-model"))

(defun llm-native-connection-test--chat (provider)
  "Stream a chat with PROVIDER and wait for its end.
Return (:partials N :last TEXT :result R :error E)."
  (let ((partials 0) (last nil) (result nil) (err nil) (done nil)
        (llm-warn-on-nonfree nil))
    (llm-chat-streaming provider (llm-make-chat-prompt "Hi")
                        (lambda (text) (cl-incf partials) (setq last text))
                        (lambda (text) (setq result text done t))
                        (lambda (symbol message) (setq err (list symbol message) done t)))
    (llm-native-test-wait-until (lambda () done) 20)
    (list :partials partials :last last :result result :error err)))

(defun llm-native-connection-test--flags (base key)
  "KEY of every request recorded under BASE, in arrival order."
  (mapcar (lambda (request) (alist-get key request)) (llm-native-test-requests base)))

(ert-deftest llm-native-connection-reused-across-requests ()
  "A second request to the same host goes on the first one's connection."
  (llm-native-close)
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 20))))
         (provider (llm-native-connection-test--provider base))
         (expected (alist-get 'text (llm-native-test-expected base))))
    (dotimes (_ 2)
      (should (equal (plist-get (llm-native-connection-test--chat provider) :result) expected)))
    (should (equal (llm-native-connection-test--flags base 'reused) '(nil t)))))

(ert-deftest llm-native-connection-tls-session-resumed ()
  "A new TLS connection to a host resumes the session of an earlier one."
  (llm-native-close)
  (let* ((base (llm-native-test-scenario (list :body "{}" :transfer "close")))
         (tls (llm-native-test-tls-base base)))
    (skip-unless tls)
    ;; The server closes each connection after its answer, so every request needs a new one.
    (dotimes (_ 3)
      (should (equal (plist-get (llm-native-request-sync :url (concat tls "/q") :insecure t)
                                :records)
                     '(nil))))
    (should (equal (llm-native-connection-test--flags base 'reused) '(nil nil nil)))
    (should (equal (llm-native-connection-test--flags base 'tls_resumed) '(nil t t)))))

(ert-deftest llm-native-connection-closed-reused-connection-retried-once ()
  "A reused connection the server closes under a request is replaced, once.
The answer then arrives whole, as if nothing happened, whether the
server closed it with a FIN or a reset."
  (dolist (how '("fin" "reset"))
    (llm-native-close)
    (let* ((base (llm-native-test-scenario
                  (list :generate (list :dialect "openai-chat" :tokens 30)
                        :reused_close_after 0 :close_with how)))
           (provider (llm-native-connection-test--provider base))
           (expected (alist-get 'text (llm-native-test-expected base))))
      (should (equal (plist-get (llm-native-connection-test--chat provider) :result) expected))
      (let ((second (llm-native-connection-test--chat provider)))
        (should-not (plist-get second :error))
        (should (equal (plist-get second :result) expected))
        (should (equal (plist-get second :last) expected)))
      ;; First request fresh; the second sent on the kept connection, dropped unanswered,
      ;; then sent again on a new connection.
      (should (equal (llm-native-connection-test--flags base 'reused) '(nil t nil)))
      (should (equal (llm-native-connection-test--flags base 'closed_by_server) '(nil t nil))))))

(ert-deftest llm-native-connection-plain-request-retried-once ()
  "The retry serves plain requests too, over TLS as well, and delivers a record once."
  (let* ((base (llm-native-test-scenario (list :body "{\"n\": 1}" :reused_close_after 0
                                               :close_with "reset")))
         (tls (llm-native-test-tls-base base)))
    (dolist (url (delq nil (list base tls)))
      (llm-native-close)
      (dotimes (_ 2)
        (should (equal (plist-get (llm-native-request-sync :url (concat url "/q") :insecure t)
                                  :records)
                       '(((n . 1)))))))
    (should (equal (llm-native-connection-test--flags base 'closed_by_server)
                   (if tls '(nil t nil nil t nil) '(nil t nil))))
    (when tls
      (should (equal (llm-native-connection-test--flags base 'tls) '(nil nil nil t t t))))))

(ert-deftest llm-native-connection-no-retry-after-first-byte ()
  "Once part of the answer arrived, a closed connection is an error, not a retry."
  (dolist (how '("fin" "reset"))
    (llm-native-connection-test--no-retry-after-first-byte how)))

(defun llm-native-connection-test--no-retry-after-first-byte (how)
  "The body of `llm-native-connection-no-retry-after-first-byte', closing with HOW."
  (llm-native-close)
  (let* ((base (llm-native-test-scenario
                ;; The pause at the cut lets the client read those bytes first: a reset
                ;; may otherwise discard what the client had not read yet.
                (list :generate (list :dialect "openai-chat" :tokens 200)
                      :reused_close_after 600 :close_with how
                      :stall_after 600 :stall_ms 200)))
         (provider (llm-native-connection-test--provider base))
         (expected (alist-get 'text (llm-native-test-expected base))))
    (should (equal (plist-get (llm-native-connection-test--chat provider) :result) expected))
    (let ((second (llm-native-connection-test--chat provider)))
      (should (plist-get second :error))
      (should-not (plist-get second :result))
      ;; Text had reached the caller: sending again would have shown it twice.
      (should (> (plist-get second :partials) 0))
      (should (string-prefix-p (plist-get second :last) expected)))
    (should (equal (llm-native-connection-test--flags base 'reused) '(nil t)))
    (should (equal (llm-native-connection-test--flags base 'closed_by_server) '(nil t)))))

(ert-deftest llm-native-connection-failed-retry-reported ()
  "A request is sent again at most once: when the retry fails too, the caller hears of it."
  (llm-native-close)
  (let* ((keep (llm-native-test-scenario (list :generate (list :dialect "openai-chat" :tokens 5))))
         (base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 20)
                      :reused_close_after 0 :close_after 0 :close_with "reset"))))
    ;; A first request leaves a kept-alive connection behind.
    (should (plist-get (llm-native-connection-test--chat (llm-native-connection-test--provider keep))
                       :result))
    ;; This one goes on it and is dropped unanswered; the retry's fresh connection is cut
    ;; after the headers.
    (let ((result (llm-native-connection-test--chat (llm-native-connection-test--provider base))))
      (should (eq (car (plist-get result :error)) 'llm-request-error))
      (should (= (plist-get result :partials) 0)))
    (should (equal (llm-native-connection-test--flags base 'reused) '(t nil)))
    (should (equal (llm-native-connection-test--flags base 'closed_by_server) '(t t)))))

(ert-deftest llm-native-connection-preconnect-warms-the-host ()
  "`llm-native-preconnect' opens the connection the first request then uses."
  (llm-native-close)
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 10))))
         (provider (llm-native-connection-test--provider base))
         (expected (alist-get 'text (llm-native-test-expected base))))
    (should (llm-native-preconnect provider))
    (llm-native-test-wait-until
     (lambda () (equal (llm-native-connection-test--flags base 'completed) '(t))))
    ;; The HEAD has left the engine once nothing is running any more.
    (llm-native-test-wait-until (lambda () (eql 0 (plist-get (llm-native-stats) :active))))
    (should (equal (plist-get (llm-native-connection-test--chat provider) :result) expected))
    (let ((requests (llm-native-test-requests base)))
      (should (equal (mapcar (lambda (r) (alist-get 'method r)) requests) '("HEAD" "POST")))
      (should (equal (alist-get 'path (car requests)) "/v1/chat/completions"))
      ;; No key travels with a preconnect.
      (should-not (alist-get 'authorization (alist-get 'headers (car requests))))
      (should (equal (llm-native-connection-test--flags base 'reused) '(nil t))))))

(ert-deftest llm-native-connection-preconnect-url-and-refusals ()
  "A URL preconnects; an unserved or keyless target, or a bad URL, is refused quietly."
  (llm-native-close)
  (let* ((base (llm-native-test-scenario (list :body "{}")))
         (events 0)
         (count (lambda (_event) (cl-incf events))))
    (advice-add 'llm-native--deliver :before count)
    (unwind-protect
        (progn
          (should (llm-native-preconnect (concat base "/warm")))
          (llm-native-test-wait-until
           (lambda () (equal (llm-native-connection-test--flags base 'method) '("HEAD"))))
          (should-not (llm-native-preconnect "ftp://127.0.0.1/"))
          (should-not (llm-native-preconnect (make-llm-claude :key nil)))
          (should-not (llm-native-preconnect 'not-a-provider))
          ;; Nothing of a preconnect reaches Lisp: no event, no running request.
          (llm-native-test-wait-until (lambda () (eql 0 (plist-get (llm-native-stats) :active))))
          (llm-native-test-settle 0.2)
          (should (= events 0))
          (should-not (llm-native-running-requests)))
      (advice-remove 'llm-native--deliver count))))

(ert-deftest llm-native-connection-http2-streams-share-a-connection ()
  "Streams started together to an HTTP/2 host share one connection.
nghttpx (Debian nghttp2-proxy), when installed, is the TLS HTTP/2 front
of the fake server; the benchmarks' latency proxy in front of it counts
the connections.  Skipped without nghttpx or openssl."
  (llm-native-close)
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 50))))
         (front (llm-native-test-h2-front (llm-native-test-server-port))))
    (skip-unless front)
    (let* ((proxy (llm-native-test-latency-proxy (cdr front) 5))
           (url (format "https://127.0.0.1:%d%s/v1/chat/completions" (cdr proxy)
                        (substring base (string-match "/s/" base))))
           (left 10) (failures nil))
      (unwind-protect
          (progn
            (dotimes (_ 10)
              (llm-native-request :url url :method "POST" :body "{}" :format 'sse :insecure t
                                  :on-done (lambda (_) (cl-decf left))
                                  :on-error (lambda (_s message _i)
                                              (cl-decf left) (push message failures))))
            (llm-native-test-wait-until (lambda () (zerop left)) 20)
            (should-not failures)
            (should (= (llm-native-test-proxy-connections proxy) 1)))
        (llm-native-test-stop-process (car proxy))
        (llm-native-test-stop-process (car front))))))

(provide 'llm-native-connection-test)
;;; llm-native-connection-test.el ends here
