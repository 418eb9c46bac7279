;;; llm-native-test-util.el --- Helpers for llm-native's ERT tests  -*- lexical-binding: t; -*-

;;; Commentary:

;; Starts the fake provider server (tests/server/fake_server.py) once per
;; Emacs, registers scenarios on it and reads what it recorded.  The server
;; listens on 127.0.0.1 only, exits with its stdin (this Emacs) and after a
;; bounded lifetime.

;;; Code:

(require 'ert)
(require 'json)
(require 'url-util)

(defvar llm-native-test--root
  (expand-file-name "../.." (file-name-directory (or load-file-name buffer-file-name)))
  "The repository root.")

(defvar llm-native-test--server nil "The fake server process.")
(defvar llm-native-test--port nil "The fake server's port.")
(defvar llm-native-test--tls-port nil "The fake server's TLS port, when it has one.")

(defun llm-native-test--tls-files ()
  "Make a self-signed certificate for 127.0.0.1; return (CERT KEY), or nil without openssl."
  (when (executable-find "openssl")
    (let* ((dir (make-temp-file "llm-native-tls" t))
           (cert (expand-file-name "cert.pem" dir))
           (key (expand-file-name "key.pem" dir)))
      (when (eql 0 (call-process "openssl" nil nil nil "req" "-x509" "-newkey" "rsa:2048"
                                 "-nodes" "-subj" "/CN=127.0.0.1" "-days" "1"
                                 "-addext" "subjectAltName=IP:127.0.0.1"
                                 "-keyout" key "-out" cert))
        (list cert key)))))

(defun llm-native-test-server-port ()
  "Start the fake server if needed and return its port."
  (unless (and llm-native-test--server (process-live-p llm-native-test--server))
    (let ((buffer (generate-new-buffer " *llm-native-fake-server*"))
          (tls (llm-native-test--tls-files)))
      (setq llm-native-test--port nil
            llm-native-test--tls-port nil
            llm-native-test--server
            (make-process :name "llm-native-fake-server" :buffer buffer :noquery t
                          :connection-type 'pipe
                          :command (append
                                    (list "python3"
                                          (expand-file-name "tests/server/fake_server.py"
                                                            llm-native-test--root)
                                          "--lifetime" "900" "--exit-on-stdin-eof")
                                    (and tls (list "--tls-cert" (car tls)
                                                   "--tls-key" (cadr tls))))
                          :stderr (get-buffer-create " *llm-native-fake-server-stderr*")))
      (let ((deadline (+ (float-time) 15)))
        (while (and (not (and llm-native-test--port (or llm-native-test--tls-port (not tls))))
                    (< (float-time) deadline))
          (accept-process-output llm-native-test--server 0.1)
          (with-current-buffer buffer
            (goto-char (point-min))
            (when (re-search-forward "^PORT \\([0-9]+\\)$" nil t)
              (setq llm-native-test--port (string-to-number (match-string 1))))
            (goto-char (point-min))
            (when (re-search-forward "^TLS_PORT \\([0-9]+\\)$" nil t)
              (setq llm-native-test--tls-port (string-to-number (match-string 1)))))))
      (unless llm-native-test--port
        (error "The fake server did not start: %s"
               (with-current-buffer " *llm-native-fake-server-stderr*" (buffer-string))))))
  llm-native-test--port)

(defun llm-native-test--http (method path &optional body)
  "Make a control request METHOD PATH with BODY to the fake server; return parsed JSON.
Uses curl(1) so that the control channel does not go through the engine under test."
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
