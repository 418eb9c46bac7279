;;; llm-native-status-test.el --- ERT tests of the mode-line status and the wait message  -*- lexical-binding: t; -*-

;;; Commentary:

;; The global mode line while requests run and after they ended, its
;; option, and the echo-area message of a synchronous call that waits.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native-runtime)

(defun llm-native-status-test--mode-line ()
  "The status element's text in the global mode line.
\(`format-mode-line' gives "" in batch Emacs, so the element is read directly.)"
  (should (memq 'llm-native--status-string global-mode-string))
  (substring-no-properties (or llm-native--status-string "")))

(defun llm-native-status-test--start (scenario)
  "Start a request on SCENARIO; return a cons (HANDLE . FINISHED-FLAG-CELL)."
  (let* ((cell (list nil))
         (handle (llm-native-request :url (llm-native-test-scenario scenario) :format 'raw
                                     :on-done (lambda (_) (setcar cell t))
                                     :on-error (lambda (&rest _) (setcar cell t)))))
    (cons handle cell)))

(ert-deftest llm-native-status-mode-line-while-running ()
  "The mode line counts running requests and is empty, with no timer, after."
  (let ((llm-native-status-in-mode-line t))
    ;; A request an earlier test ended may still have its refresh pending.
    (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) "")))
    (llm-native-test-wait-until (lambda () (null llm-native--status-timer)) 3)
    (let ((a (llm-native-status-test--start '(:body "a" :first_byte_delay_ms 800)))
          (b (llm-native-status-test--start '(:body "b" :first_byte_delay_ms 800))))
      ;; The status is refreshed from a timer, once for requests started together.
      (should llm-native--status-refresh-timer)
      (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) " LLM:2")))
      (should llm-native--status-timer)
      (llm-native-test-wait-until (lambda () (and (cadr a) (cadr b))))
      (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) "")))
      (should-not llm-native--status-string)
      ;; The refresh timer goes within a second of the last request's end.
      (llm-native-test-wait-until (lambda () (null llm-native--status-timer)) 3))
    ;; A request cancelled by its owner leaves the mode line too.
    (let ((c (llm-native-status-test--start '(:body "c" :first_byte_delay_ms 3000))))
      (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) " LLM:1")))
      (llm-native-cancel (car c))
      (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) "")))
      (llm-native-test-wait-until (lambda () (null llm-native--status-timer)) 3))))

(ert-deftest llm-native-status-one-refresh-for-requests-started-together ()
  "Requests started in one go refresh the status once, not once each."
  (let* ((llm-native-status-in-mode-line t)
         (refreshes 0)
         (count (lambda (&rest _) (cl-incf refreshes)))
         (requests nil))
    (advice-add 'llm-native--status-update :before count)
    (unwind-protect
        (progn
          (dotimes (_ 5)
            (push (llm-native-status-test--start '(:body "x" :first_byte_delay_ms 500)) requests))
          (llm-native-test-wait-until
           (lambda () (equal (llm-native-status-test--mode-line) " LLM:5")))
          (should (= refreshes 1)))
      (advice-remove 'llm-native--status-update count))
    (llm-native-test-wait-until (lambda () (cl-every #'cadr requests)))
    (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) "")))))

(ert-deftest llm-native-status-tokens-per-second ()
  "While a chat streams, the mode line shows its tokens per second."
  (let* ((llm-native-status-in-mode-line t)
         (base (llm-native-test-scenario
                '(:generate (:dialect "openai-chat" :tokens 400 :interval_ms 10))))
         (done nil))
    (llm-native--chat-request :url (concat base "/chat/completions") :dialect "openai-chat"
                            :body "{}" :streaming t
                            :on-done (lambda (_) (setq done t)))
    (llm-native-test-wait-until
     (lambda () (or done (string-match-p "\\` LLM:1 [0-9]+t/s\\'" (llm-native-status-test--mode-line)))))
    (should-not done)
    (llm-native-test-wait-until (lambda () done) 30)
    (llm-native-test-wait-until (lambda () (equal (llm-native-status-test--mode-line) "")))))

(ert-deftest llm-native-status-option-off ()
  "With `llm-native-status-in-mode-line' nil the mode line shows nothing."
  (let* ((llm-native-status-in-mode-line nil)
         (a (llm-native-status-test--start '(:body "a" :first_byte_delay_ms 300))))
    (should (equal (llm-native-status-test--mode-line) ""))
    (llm-native-test-wait-until (lambda () (cadr a)))))

(ert-deftest llm-native-status-sync-wait-message ()
  "A synchronous request that waits over a second says so, then clears it."
  (let* ((messages nil)
         (record (lambda (format &rest args)
                   (when format (push (apply #'format-message format args) messages))))
         (base (llm-native-test-scenario '(:body "late" :content_type "text/plain"
                                                 :first_byte_delay_ms 1600))))
    (advice-add 'message :before record)
    (unwind-protect
        (should (equal (plist-get (llm-native-request-sync :url (concat base "/x?key=k1") :format 'raw)
                                  :records)
                       '("late")))
      (advice-remove 'message record))
    (should (member (format "llm-native: waiting 1s for %s/x (C-g cancels)" base) messages))
    (should-not (cl-some (lambda (m) (string-search "k1" m)) messages))))

(provide 'llm-native-status-test)
;;; llm-native-status-test.el ends here
