;;; llm-native-monitor-test.el --- ERT tests of the live request list  -*- lexical-binding: t; -*-

;;; Commentary:

;; `llm-native-list-requests' against the fake server: it refreshes by
;; itself while shown and stops when hidden, its columns, RET shows the
;; request's buffer, `c' cancels and the owner gets `llm-native-cancelled'
;; (an llm error for llm-API callers), and a request its owner cancels gets
;; no callback.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native)
(require 'llm-native-monitor)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)
(require 'llm-native-test-util)

(setq llm-warn-on-nonfree nil)

(defun llm-native-monitor-test--line (id)
  "The request list's line of request ID, or nil."
  (with-current-buffer llm-native-monitor--buffer-name
    (save-excursion
      (goto-char (point-min))
      (and (re-search-forward (format "^ %d +.*$" id) nil t)
           (match-string 0)))))

(defun llm-native-monitor-test--goto (id)
  "Move point to request ID's line in the list."
  (set-buffer llm-native-monitor--buffer-name)
  (goto-char (point-min))
  (should (re-search-forward (format "^ %d " id) nil t))
  (beginning-of-line))

(defmacro llm-native-monitor-test--with-list (&rest body)
  "Run BODY, then kill the request list and the owner buffers it made."
  (declare (indent 0))
  `(unwind-protect (progn ,@body)
     (when (get-buffer llm-native-monitor--buffer-name)
       (kill-buffer llm-native-monitor--buffer-name))
     (should-not llm-native-monitor--timer)))

(ert-deftest llm-native-monitor-refreshes-while-shown ()
  "The list follows a request from waiting to done without being asked; hidden, it stops."
  (llm-native-monitor-test--with-list
    (let* ((done nil)
           (handle (llm-native-request
                    :url (llm-native-test-scenario '(:body "0123456789" :content_type "text/plain"
                                                           :first_byte_delay_ms 700))
                    :format 'raw :on-done (lambda (_) (setq done t)))))
      (llm-native-list-requests)
      (let ((id (llm-native-handle-id handle)))
        (should (string-match-p "waiting +raw +[0-9.]+ +- +- +0 " (llm-native-monitor-test--line id)))
        (should llm-native-monitor--timer)
        (llm-native-test-wait-until
         (lambda () (string-match-p " done 200 +raw +[0-9.]+ +[0-9.]+ +- +10 "
                                    (llm-native-monitor-test--line id))))
        (should done)
        ;; Hidden: the next tick stops the timer, and nothing refreshes.
        (switch-to-buffer (get-buffer-create "*scratch*"))
        (llm-native-test-wait-until (lambda () (null llm-native-monitor--timer)) 3)))))

(ert-deftest llm-native-monitor-ret-shows-buffer ()
  "RET on a request shows the buffer it reports to."
  (llm-native-monitor-test--with-list
    (let* ((owner (generate-new-buffer "llm-native-owner"))
           (handle (with-current-buffer owner
                     (llm-native-request
                      :url (llm-native-test-scenario '(:body "x" :first_byte_delay_ms 2000))
                      :format 'raw))))
      (unwind-protect
          (progn
            (llm-native-list-requests)
            (llm-native-monitor-test--goto (llm-native-handle-id handle))
            (should (string-search "llm-native-owner" (llm-native-monitor-test--line
                                                       (llm-native-handle-id handle))))
            (llm-native-monitor-show-buffer)
            (should (eq (window-buffer (selected-window)) owner)))
        (llm-native-cancel handle)
        (kill-buffer owner)))))

(ert-deftest llm-native-monitor-cancel-tells-owner ()
  "`c' cancels the request at point and its error callback gets `llm-native-cancelled'."
  (llm-native-monitor-test--with-list
    (let* ((failure nil) (owner-buffer nil)
           (owner (generate-new-buffer "llm-native-owner"))
           (handle (with-current-buffer owner
                     (llm-native-request
                      :url (llm-native-test-scenario '(:body "x" :first_byte_delay_ms 5000))
                      :format 'raw
                      :on-done (lambda (_) (setq failure 'done))
                      :on-error (lambda (symbol message _)
                                  (setq failure (list symbol message)
                                        owner-buffer (current-buffer)))))))
      (unwind-protect
          (progn
            (llm-native-list-requests)
            (llm-native-monitor-test--goto (llm-native-handle-id handle))
            (llm-native-monitor-cancel)
            (should-not failure)        ; from a timer, like every callback
            (llm-native-test-wait-until (lambda () failure))
            (should (equal failure '(llm-native-cancelled "Cancelled from the request list")))
            (should (eq owner-buffer owner))
            (should (string-match-p " cancelled " (llm-native-monitor-test--line
                                                   (llm-native-handle-id handle))))
            ;; Nothing more for it, and `c' on it again is refused.
            (llm-native-monitor-test--goto (llm-native-handle-id handle))
            (should-error (llm-native-monitor-cancel) :type 'user-error)
            (llm-native-test-settle 0.3)
            (should (equal failure '(llm-native-cancelled "Cancelled from the request list"))))
        (kill-buffer owner)))))

(ert-deftest llm-native-monitor-owner-cancel-silent ()
  "A request cancelled by its owner still gets no callback."
  (let* ((called nil)
         (handle (llm-native-request
                  :url (llm-native-test-scenario '(:body "x" :first_byte_delay_ms 300))
                  :format 'raw
                  :on-done (lambda (_) (setq called t))
                  :on-error (lambda (&rest _) (setq called t)))))
    (llm-native-cancel handle)
    (llm-native-test-settle 0.6)
    (should-not called)
    (should (eq (llm-native--req-outcome (car llm-native--history)) 'cancelled))))

(ert-deftest llm-native-monitor-cancel-llm-caller ()
  "An llm caller whose chat is cancelled from the list gets `llm-native-cancelled', an llm error."
  (llm-native-monitor-test--with-list
    (let* ((llm-native-url-overrides
            (list (cons 'llm-openai-compatible
                        (llm-native-test-scenario
                         '(:fixture "openai-chat/text-usage.sse" :first_byte_delay_ms 5000)))))
           (provider (make-llm-openai-compatible :url "http://unused.invalid/v1/" :key "oc-secret"
                                                 :chat-model "test-model"))
           (failure nil)
           (handle (llm-chat-streaming provider (llm-make-chat-prompt "hi")
                                       #'ignore #'ignore
                                       (lambda (symbol message) (setq failure (list symbol message))))))
      (llm-native-list-requests)
      (llm-native-monitor-test--goto (llm-native-handle-id handle))
      (llm-native-monitor-cancel)
      (llm-native-test-wait-until (lambda () failure))
      (should (eq (car failure) 'llm-native-cancelled))
      (should (memq 'llm-error (get (car failure) 'error-conditions)))
      (should (memq 'llm-native-error (get (car failure) 'error-conditions))))))

(ert-deftest llm-native-monitor-copy-at-point ()
  "`w' copies the curl command of the request at point, not the last one."
  (llm-native-monitor-test--with-list
    (let* ((base (llm-native-test-scenario '(:body "x" :content_type "text/plain")))
           (first (llm-native-request-sync :url (concat base "/first") :format 'raw))
           (second (llm-native-request-sync :url (concat base "/second") :format 'raw)))
      (ignore first second)
      (llm-native-list-requests)
      (llm-native-monitor-test--goto (llm-native--req-id (cadr llm-native--history)))
      (llm-native-monitor-copy-as-curl)
      (should (string-search "/first'" (current-kill 0))))))

(provide 'llm-native-monitor-test)
;;; llm-native-monitor-test.el ends here
