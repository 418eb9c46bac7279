;;; llm-native-log-test.el --- ERT tests of the wire log and copy as curl  -*- lexical-binding: t; -*-

;;; Commentary:

;; The log's content at each level against the fake server, that no secret
;; (header, query key, userinfo) ever reaches it, its size bound, and that
;; the curl command repeats the request with its secrets from the
;; environment.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native-runtime)

(defconst llm-native-log-test--secrets '("sk-HEADER-1" "xk-HEADER-2" "QUERY-3" "pw-USER-4")
  "Secrets every request of these tests carries; none may be logged.")

(defun llm-native-log-test--log ()
  "The text of `*llm-native-log*', or \"\"."
  (if (get-buffer "*llm-native-log*")
      (with-current-buffer "*llm-native-log*" (buffer-string))
    ""))

(defun llm-native-log-test--run (scenario &rest args)
  "Register SCENARIO, make a request with secrets in it and wait for its end.
ARGS go to `llm-native-request'.  Return (HANDLE BASE RESULT)."
  (let* ((base (llm-native-test-scenario
                (if (plist-member scenario :content_type) scenario
                  (append scenario '(:content_type "text/plain")))))
         (result nil)
         (handle (apply #'llm-native-request
                        :url (concat (replace-regexp-in-string
                                      "\\`http://" "http://user:pw-USER-4@" base)
                                     "/v1/chat?key=QUERY-3&alt=sse")
                        :headers '(("Authorization" . "Bearer sk-HEADER-1")
                                   ("x-api-key" . "xk-HEADER-2")
                                   ("X-Trace" . "visible-value"))
                        :body "{\"q\":\"héllo\"}"
                        :format 'raw
                        :on-done (lambda (info) (setq result (cons 'done info)))
                        :on-error (lambda (s m _) (setq result (list 'error s m)))
                        args)))
    (llm-native-test-wait-until (lambda () result))
    (list handle base result)))

(defun llm-native-log-test--no-secret (text)
  "Fail if TEXT holds any of the test secrets."
  (dolist (secret llm-native-log-test--secrets)
    (should-not (string-search secret text))))

(defmacro llm-native-log-test--with-log (level &rest body)
  "Run BODY with the log at LEVEL and an empty log buffer."
  (declare (indent 1))
  `(let ((llm-native-log-level ,level))
     (when (get-buffer "*llm-native-log*") (kill-buffer "*llm-native-log*"))
     ,@body))

(ert-deftest llm-native-log-off-writes-nothing ()
  "With the log off nothing is written and no raw bytes are kept."
  (llm-native-log-test--with-log nil
    (let ((handle (car (llm-native-log-test--run '(:body "hello")))))
      (should (equal (llm-native-log-test--log) ""))
      (let ((req (car llm-native--history)))
        (should (eq (llm-native--req-handle req) handle))
        (should (null (llm-native--mod-meter-raw (llm-native--req-meter req))))
        ;; The figures are there all the same, for the list and the status.
        (should (equal (plist-get (llm-native--req-figures req) :bytes) 5))
        (should (equal (plist-get (llm-native--req-figures req) :status) 200))))))

(ert-deftest llm-native-log-info-one-line ()
  "At `info' a finished request writes one line: id, method, URL, status, bytes, outcome."
  (llm-native-log-test--with-log 'info
    (pcase-let ((`(,handle ,base ,_) (llm-native-log-test--run '(:body "hello world"))))
      (let ((log (llm-native-log-test--log))
            (url (concat base "/v1/chat")))
        (should (= 1 (cl-count ?\n log)))
        (should (string-match
                 (format "#%d = POST %s 200 11B [0-9.]+s ttfb=[0-9.]+s tokens=-/- done$"
                         (llm-native-handle-id handle) (regexp-quote url))
                 log))
        (should-not (string-search "?" log))
        (should-not (string-search "visible-value" log))
        (llm-native-log-test--no-secret log)))))

(ert-deftest llm-native-log-info-error-and-tokens ()
  "An error's line names it and the provider's message; a chat's line its tokens."
  (llm-native-log-test--with-log 'info
    ;; A provider that quotes the key back: masked in the line.
    (llm-native-log-test--run '(:status 500 :body "{\"error\":{\"message\":\"boom xk-HEADER-2\"}}"))
    (should (string-match-p " 500 [0-9]+B .* llm-native-http-error: HTTP 500.*boom <redacted>"
                            (llm-native-log-test--log)))
    (llm-native-log-test--no-secret (llm-native-log-test--log))
    (kill-buffer "*llm-native-log*")
    (let* ((base (llm-native-test-scenario '(:fixture "openai-chat/text-usage.sse")))
           (done nil))
      (llm-native--chat-request :url (concat base "/chat/completions") :dialect "openai-chat"
                              :body "{}" :streaming t
                              :on-done (lambda (_) (setq done t)))
      (llm-native-test-wait-until (lambda () done))
      (should (string-match-p " tokens=[0-9]+/[0-9]+ done$" (llm-native-log-test--log))))))

(ert-deftest llm-native-log-info-emacs-side-failure ()
  "A request stopped on the Emacs side (its callback quit) is logged with that outcome."
  (llm-native-log-test--with-log 'info
    (let ((debug-on-quit nil))
      (pcase-let ((`(,handle ,_ ,result)
                   (llm-native-log-test--run '(:body "hello")
                                             :on-record (lambda (_) (signal 'quit nil)))))
        (should (eq (nth 1 result) 'llm-native-cancelled))
        (should (eq (llm-native--req-outcome (car llm-native--history)) 'llm-native-cancelled))
        (should (string-match-p
                 (format "#%d .* llm-native-cancelled: A callback of request %d quit"
                         (llm-native-handle-id handle) (llm-native-handle-id handle))
                 (llm-native-log-test--log)))))))

(ert-deftest llm-native-log-debug-headers-body-raw ()
  "At `debug' the headers (credentials replaced), body and raw response are written."
  (llm-native-log-test--with-log 'debug
    (pcase-let ((`(,handle ,base ,_)
                 (llm-native-log-test--run
                  '(:body "data: sk-HEADER-1 echoed back\n\n" :content_type "text/plain"))))
      (let ((log (llm-native-log-test--log))
            (id (llm-native-handle-id handle)))
        (llm-native-log-test--no-secret log)
        (should (string-search (format "#%d > POST %s/v1/chat?key=<redacted>&alt=sse" id base) log))
        (should (string-search (format "#%d > Authorization: <redacted>" id) log))
        (should (string-search (format "#%d > x-api-key: <redacted>" id) log))
        (should (string-search (format "#%d > X-Trace: visible-value" id) log))
        (should (string-search "{\"q\":\"héllo\"}" log))
        (should (string-match-p "response as received ([0-9]+ bytes):\nHTTP/1.1 200" log))
        ;; A secret the server echoes is masked in the raw bytes too.
        (should (string-search "data: <redacted> echoed back" log))
        (should (string-match-p (format "#%d = POST .* done$" id) log))))))

(ert-deftest llm-native-log-debug-capture-limit ()
  "The raw capture keeps at most `llm-native-log-capture-limit' bytes a request."
  (llm-native-log-test--with-log 'debug
    (let ((llm-native-log-capture-limit 40))
      (llm-native-log-test--run (list :body (make-string 5000 ?x)))
      (let ((log (llm-native-log-test--log)))
        (should (string-match-p "response as received (40 bytes, cut at 40)" log))
        (should-not (string-search (make-string 100 ?x) log))))
    ;; Back at `info', new requests capture nothing.
    (let ((llm-native-log-level 'info))
      (llm-native-log-test--run '(:body "x"))
      (should (null (llm-native--mod-meter-raw
                     (llm-native--req-meter (car llm-native--history))))))))

(ert-deftest llm-native-log-bounded ()
  "The log buffer stays within `llm-native-log-max-size', dropping whole old lines."
  (llm-native-log-test--with-log 'info
    (let ((llm-native-log-max-size 2000))
      (dotimes (i 300) (llm-native--log-write (format "line %d of the log" i)))
      (with-current-buffer "*llm-native-log*"
        (should (<= (buffer-size) 2000))
        (should (string-prefix-p "line " (buffer-string)))
        (should (string-suffix-p "line 299 of the log\n" (buffer-string)))))))

(ert-deftest llm-native-log-copy-as-curl ()
  "The curl command names secrets by variable and repeats the request."
  (llm-native-log-test--with-log nil
    (pcase-let ((`(,_ ,base ,_) (llm-native-log-test--run '(:body "ok"))))
      (let ((command (llm-native-copy-as-curl)))
        (should (equal command (current-kill 0)))
        (llm-native-log-test--no-secret command)
        (should (string-search "-H \"Authorization: Bearer $LLM_API_KEY\"" command))
        (should (string-search "-H \"x-api-key: $LLM_API_KEY\"" command))
        (should (string-search "-H 'X-Trace: visible-value'" command))
        ;; Run it: the server sees the request again, secrets from the environment.
        (let ((process-environment (cons "LLM_API_KEY=from-env" process-environment)))
          (with-temp-buffer
            (should (eql 0 (call-process "sh" nil t nil "-c" (concat command " -sS --max-time 10"))))
            (should (equal (buffer-string) "ok"))))
        (let ((again (car (last (llm-native-test-requests base)))))
          (should (equal (alist-get 'path again) "/v1/chat?key=from-env&alt=sse"))
          (should (equal (alist-get 'method again) "POST"))
          (should (equal (alist-get 'body again) "{\"q\":\"héllo\"}"))
          (should (equal (alist-get 'authorization (alist-get 'headers again)) "Bearer from-env"))
          (should (equal (alist-get 'x-api-key (alist-get 'headers again)) "from-env")))))))

(ert-deftest llm-native-log-curl-provider-variables ()
  "Known providers get their usual variable names; quotes in bodies survive."
  (let ((req (llm-native--make-req
              :id 1 :spec (list :method "POST" :url "https://api.anthropic.com/v1/messages"
                                :headers '("x-api-key: ak-1" "Content-Type: application/json")
                                :body "{\"a\":\"it's\"}"))))
    (should (equal (llm-native--curl-command req)
                   (concat "curl -N 'https://api.anthropic.com/v1/messages'"
                           " -H \"x-api-key: $ANTHROPIC_API_KEY\""
                           " -H 'Content-Type: application/json'"
                           " --data-binary '{\"a\":\"it'\\''s\"}'"))))
  (let ((req (llm-native--make-req
              :id 2 :spec (list :method "GET" :url "https://api.openai.com/v1/models"
                                :headers '("Authorization: Bearer sk-2")))))
    (should (equal (llm-native--curl-command req)
                   (concat "curl -N 'https://api.openai.com/v1/models'"
                           " -H \"Authorization: Bearer $OPENAI_API_KEY\"")))))

(provide 'llm-native-log-test)
;;; llm-native-log-test.el ends here
