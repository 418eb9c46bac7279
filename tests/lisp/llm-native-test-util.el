;;; llm-native-test-util.el --- Helpers for llm-native's ERT tests  -*- lexical-binding: t; -*-

;;; Commentary:

;; Starts the fake provider server (tests/server/fake_server.py) once per
;; Emacs, registers scenarios on it and reads what it recorded.  The server
;; listens on 127.0.0.1 only, exits with its stdin (this Emacs) and after a
;; bounded lifetime.  Also the helper processes other suites and the
;; benchmarks start: the hostile server, the latency proxy, nghttpx.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'json)
(require 'url-util)

(defvar llm-native-test--root
  (expand-file-name "../.." (file-name-directory (or load-file-name buffer-file-name)))
  "The repository root.")

(defvar llm-native-test--server nil "The fake server process.")
(defvar llm-native-test--port nil "The fake server's port.")
(defvar llm-native-test--tls-port nil "The fake server's TLS port, when it has one.")

(defun llm-native-test--tls-files ()
  "Make a self-signed certificate for 127.0.0.1; return (CERT KEY).
Return nil without openssl."
  (when (executable-find "openssl")
    (let* ((dir (make-temp-file "llm-native-tls" t))
           (cert (expand-file-name "cert.pem" dir))
           (key (expand-file-name "key.pem" dir)))
      (when (eql 0 (call-process "openssl" nil nil nil "req" "-x509" "-newkey" "rsa:2048"
                                 "-nodes" "-subj" "/CN=127.0.0.1" "-days" "1"
                                 "-addext" "subjectAltName=IP:127.0.0.1"
                                 "-keyout" key "-out" cert))
        (list cert key)))))

(defun llm-native-test-start-process (name command ready)
  "Start COMMAND (a list) as the process NAME; return it once READY says so.
READY gets the process and returns non-nil when it can be used.  After
15 s without that the process is deleted and the error shows its
standard error.  Its standard output stays in its buffer."
  (let* ((stderr (get-buffer-create (format " *%s-stderr*" name)))
         (process (make-process :name name :buffer (generate-new-buffer (format " *%s*" name))
                                :noquery t :connection-type 'pipe :command command
                                :stderr stderr))
         (deadline (+ (float-time) 15)))
    (while (and (process-live-p process) (< (float-time) deadline)
                (not (funcall ready process)))
      (accept-process-output process 0.05))
    (unless (funcall ready process)
      (llm-native-test-stop-process process)
      (error "%s did not start: %s" name (with-current-buffer stderr (buffer-string))))
    process))

(defun llm-native-test-stop-process (process)
  "Delete PROCESS, from `llm-native-test-start-process', and its output buffer."
  (when (process-live-p process) (delete-process process))
  (kill-buffer (process-buffer process)))

(defun llm-native-test-printed-port (process label)
  "The port PROCESS printed on a line \"LABEL PORT\", or nil."
  (with-current-buffer (process-buffer process)
    (save-excursion
      (goto-char (point-min))
      (and (re-search-forward (format "^%s \\([0-9]+\\)$" label) nil t)
           (string-to-number (match-string 1))))))

(defun llm-native-test-start-server (name script &rest labels)
  "Start the server tests/server/SCRIPT as the process NAME; return it.
It serves TLS too when openssl can make a certificate.  It is ready once
it printed the port of each of LABELS (and TLS_PORT with TLS); read them
with `llm-native-test-printed-port'.  It listens on 127.0.0.1 only and
exits with its stdin (this Emacs) or after 15 minutes."
  (let* ((tls (llm-native-test--tls-files))
         (labels (if tls (append labels '("TLS_PORT")) labels)))
    (llm-native-test-start-process
     name
     (append (list "python3" (expand-file-name (concat "tests/server/" script) llm-native-test--root)
                   "--lifetime" "900" "--exit-on-stdin-eof")
             (and tls (list "--tls-cert" (car tls) "--tls-key" (cadr tls))))
     (lambda (process)
       (cl-every (lambda (label) (llm-native-test-printed-port process label)) labels)))))

(defun llm-native-test-server-port ()
  "Start the fake server if needed and return its port."
  (unless (and llm-native-test--server (process-live-p llm-native-test--server))
    (setq llm-native-test--server
          (llm-native-test-start-server "llm-native-fake-server" "fake_server.py" "PORT")
          llm-native-test--port (llm-native-test-printed-port llm-native-test--server "PORT")
          llm-native-test--tls-port
          (llm-native-test-printed-port llm-native-test--server "TLS_PORT")))
  llm-native-test--port)

(defun llm-native-test-free-port ()
  "A TCP port on 127.0.0.1 free right now."
  (let* ((server (make-network-process :name "llm-native-free-port" :server t
                                       :host "127.0.0.1" :service t :noquery t))
         (port (process-contact server :service)))
    (delete-process server)
    port))

(defun llm-native-test-latency-proxy (port delay-ms)
  "Start the latency proxy in front of 127.0.0.1:PORT, DELAY-MS each way.
Return (PROCESS . PORT-OF-THE-PROXY).  The proxy is the benchmarks' own
\(tests/bench/latency_proxy.py); it prints a CONN line per accepted
connection, which `llm-native-test-proxy-connections' counts."
  (let ((process (llm-native-test-start-process
                  "llm-native-latency-proxy"
                  (list "python3" (expand-file-name "tests/bench/latency_proxy.py"
                                                    llm-native-test--root)
                        "--target" (number-to-string port)
                        "--delay-ms" (number-to-string delay-ms)
                        "--lifetime" "900" "--exit-on-stdin-eof")
                  (lambda (process) (llm-native-test-printed-port process "PORT")))))
    (cons process (llm-native-test-printed-port process "PORT"))))

(defun llm-native-test-proxy-connections (proxy)
  "How many connections PROXY accepted so far.
PROXY is what `llm-native-test-latency-proxy' returned."
  (with-current-buffer (process-buffer (car proxy))
    (save-excursion
      (goto-char (point-max))
      (if (re-search-backward "^CONN \\([0-9]+\\)$" nil t)
          (string-to-number (match-string 1))
        0))))

(defun llm-native-test-h2-front (port)
  "Start nghttpx, a TLS HTTP/2 front of 127.0.0.1:PORT.
Return (PROCESS . FRONT-PORT), or nil when nghttpx (Debian
nghttp2-proxy) or openssl is missing: Python's ssl and asyncio cannot
serve HTTP/2 without the h2 package."
  (let ((nghttpx (or (executable-find "nghttpx")
                     (and (file-executable-p "/usr/sbin/nghttpx") "/usr/sbin/nghttpx")))
        (tls (llm-native-test--tls-files)))
    (when (and nghttpx tls)
      (let ((front-port (llm-native-test-free-port)))
        (cons (llm-native-test-start-process
               "llm-native-nghttpx"
               (list nghttpx "--conf=/dev/null"
                     (format "--frontend=127.0.0.1,%d" front-port)
                     (format "--backend=127.0.0.1,%d" port)
                     "--workers=1" "--no-ocsp" "--log-level=ERROR" "--errorlog-file=/dev/null"
                     (cadr tls) (car tls))
               ;; Ready once it accepts connections.
               (lambda (_)
                 (ignore-errors
                   (delete-process (make-network-process :name "llm-native-probe"
                                                         :host "127.0.0.1" :service front-port
                                                         :noquery t))
                   t)))
              front-port)))))

(defun llm-native-test--http (method path &optional body)
  "Make the control request METHOD PATH with BODY; return the parsed JSON.
Uses curl(1), so that the control channel does not go through the engine
under test."
  (with-temp-buffer
    (let ((status (apply #'call-process "curl" nil t nil "-sS" "--max-time" "10" "-X" method
                         (append (and body (list "-H" "Content-Type: application/json"
                                                 "--data-binary" body))
                                 (list (format "http://127.0.0.1:%d%s"
                                               (llm-native-test-server-port) path))))))
      (unless (eql status 0) (error "Control request %s failed: %s" path (buffer-string)))
      (goto-char (point-min))
      (json-parse-buffer :object-type 'alist :array-type 'list :null-object nil
                         :false-object nil))))

(defun llm-native-test--plist-to-json (spec)
  "Serialize SPEC, a plist with keyword keys (nested plists allowed), to JSON.
Keys are written with `_' for `-' (:delay-ms -> delay_ms)."
  (llm-native-test-json (llm-native-test--jsonable spec)))

(defun llm-native-test-json (value)
  "Return VALUE serialized by `json-serialize', as text on every Emacs.
Emacs 30's `json-serialize' returns UTF-8 bytes (a unibyte string, which
it then refuses inside a value and which never matches text), 28's text."
  (let ((json (json-serialize value)))
    (if (multibyte-string-p json) json (decode-coding-string json 'utf-8))))

(defun llm-native-test--jsonable (value)
  "Turn VALUE, plists and lists, into what `json-serialize' takes."
  (cond ((and (consp value) (keywordp (car value)))
         (let ((table (make-hash-table :test 'equal)))
           (while value
             (puthash (replace-regexp-in-string "-" "_" (substring (symbol-name (car value)) 1))
                      (llm-native-test--jsonable (cadr value)) table)
             (setq value (cddr value)))
           table))
        ((consp value) (vconcat (mapcar #'llm-native-test--jsonable value)))
        ((eq value :null) :null)
        ((eq value :false) :false)
        (t value)))

(defun llm-native-test-scenario (spec)
  "Register SPEC (a plist such as (:fixture \"x.sse\" :chunk \"bytes\")).
Return the base URL \"http://127.0.0.1:PORT/s/TOKEN\" requests should use."
  (let ((answer (llm-native-test--http "POST" "/_control/scenario"
                                       (llm-native-test--plist-to-json spec))))
    (unless (alist-get 'token answer) (error "Scenario refused: %S" answer))
    (format "http://127.0.0.1:%d/s/%s" (llm-native-test-server-port) (alist-get 'token answer))))

(defun llm-native-test-tls-base (base)
  "BASE, a scenario's URL, on the server's TLS listener; nil when it has none."
  (llm-native-test-server-port)
  (and llm-native-test--tls-port
       (replace-regexp-in-string "\\`http://127.0.0.1:[0-9]+"
                                 (format "https://127.0.0.1:%d" llm-native-test--tls-port)
                                 base t t)))

(defun llm-native-test--token (base)
  "The scenario token of BASE."
  (car (last (split-string base "/" t))))

(defun llm-native-test-requests (base)
  "The requests the fake server recorded under BASE, as alists."
  (llm-native-test--http "GET" (concat "/_control/requests?token=" (llm-native-test--token base))))

(defun llm-native-test-expected (base)
  "The generated text and reasoning of BASE's scenario, as an alist."
  (llm-native-test--http "GET" (concat "/_control/expected?token=" (llm-native-test--token base))))

(defun llm-native-test-wait-until (pred &optional seconds)
  "Process events until PRED returns non-nil; fail after SECONDS (default 10)."
  (let ((deadline (+ (float-time) (or seconds 10))))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.02))
    (or (funcall pred)
        (ert-fail (format "Timed out after %ss waiting for %S" (or seconds 10) pred)))))

(declare-function llm-chat-streaming "llm")
(declare-function llm-chat-async "llm")

(defun llm-native-test-chat (provider prompt streaming)
  "Chat with PROVIDER on PROMPT through the llm API and wait for the end.
STREAMING uses `llm-chat-streaming', else `llm-chat-async'.  Return
\(:result RESULT :error (SYMBOL MESSAGE))."
  (let ((result nil) (err nil) (done nil))
    (if streaming
        (llm-chat-streaming provider prompt #'ignore
                            (lambda (r) (setq result r done t))
                            (lambda (s m) (setq err (list s m) done t)))
      (llm-chat-async provider prompt
                      (lambda (r) (setq result r done t))
                      (lambda (s m) (setq err (list s m) done t))))
    (llm-native-test-wait-until (lambda () done) 20)
    (list :result result :error err)))

(defun llm-native-test-settle (seconds)
  "Process events for SECONDS, to let late callbacks (which must not come) arrive."
  (let ((deadline (+ (float-time) seconds)))
    (while (< (float-time) deadline)
      (accept-process-output nil 0.02))))

(defun llm-native-test-fixture-file (relative)
  "Absolute name of the fixture RELATIVE.
The fixtures folder is $LLM_NATIVE_FIXTURES, as for the fake server, else
tests/fixtures in the repository."
  (expand-file-name relative (or (getenv "LLM_NATIVE_FIXTURES")
                                 (expand-file-name "tests/fixtures" llm-native-test--root))))

(provide 'llm-native-test-util)
;;; llm-native-test-util.el ends here
