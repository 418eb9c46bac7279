;;; llm-native-monitor.el --- The live list of llm-native's requests  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; M-x llm-native-list-requests shows the running requests, then the last
;; finished ones (`llm-native-history-size'): id, state, kind, duration,
;; time to first token, tokens per second, bytes received, the buffer the
;; request reports to, and the URL without its query (where some providers
;; put keys).  The list refreshes itself every half second while it is shown
;; in a window; its timer stops when it is hidden and starts again when it is
;; shown.
;;
;; RET shows the request's buffer; `c' cancels the request at point and its
;; owner gets an `llm-native-cancelled' error callback, so a client clears
;; its state; `w' copies a curl command repeating it; `g' refreshes.

;;; Code:

(require 'tabulated-list)
(require 'llm-native-runtime)

(defconst llm-native-monitor--buffer-name "*llm-native requests*"
  "Name of the request list's buffer.")

(defvar llm-native-monitor--timer nil
  "The timer refreshing the request list while it is shown, or nil.")

(defun llm-native-monitor--seconds (seconds)
  "SECONDS for a column, or \"-\"."
  (if seconds (format "%.2f" seconds) "-"))

(defun llm-native-monitor--bytes (bytes)
  "BYTES, short."
  (cond ((null bytes) "-")
        ((< bytes 10000) (format "%d" bytes))
        ((< bytes 10000000) (format "%dk" (/ bytes 1024)))
        (t (format "%dM" (/ bytes 1048576)))))

(defun llm-native-monitor--state (figures)
  "The state column for FIGURES."
  (pcase (plist-get figures :state)
    ('waiting "waiting")
    ('receiving "receiving")
    ('done (format "done %s" (or (plist-get figures :status) "")))
    ('cancelled "cancelled")
    (symbol (string-remove-prefix "llm-native-" (symbol-name symbol)))))

(defun llm-native-monitor--entry (req)
  "The tabulated-list entry of REQ."
  (let* ((handle (llm-native--req-handle req))
         (buffer (llm-native-handle-buffer handle))
         (f (llm-native--req-figures req))
         (rate (plist-get f :tokens-per-second)))
    (list req
          (vector (number-to-string (llm-native--req-id req))
                  (llm-native-monitor--state f)
                  (format "%s" (or (llm-native-handle-kind handle) ""))
                  (llm-native-monitor--seconds (plist-get f :seconds))
                  (llm-native-monitor--seconds (plist-get f :first-token))
                  (if rate (format "%.0f" rate) "-")
                  (llm-native-monitor--bytes (plist-get f :bytes))
                  (if (buffer-live-p buffer) (buffer-name buffer) "(killed)")
                  (llm-native--safe-url (plist-get (llm-native--req-spec req) :url))))))

(defun llm-native-monitor--refresh ()
  "Fill the list: the running requests, then the finished ones, newest first."
  (setq tabulated-list-entries
        (mapcar #'llm-native-monitor--entry
                (append (nreverse (llm-native--running-reqs)) llm-native--history))))

(defun llm-native-monitor--tick ()
  "Refresh the list if it is shown; stop the timer if it is not."
  (let* ((buffer (get-buffer llm-native-monitor--buffer-name))
         (window (and buffer (get-buffer-window buffer t))))
    (if window
        (with-current-buffer buffer
          (let ((point (window-point window)))
            (revert-buffer)
            (set-window-point window (min point (point-max)))))
      (llm-native-monitor--stop))))

(defun llm-native-monitor--stop ()
  "Cancel the refresh timer."
  (when llm-native-monitor--timer
    (cancel-timer llm-native-monitor--timer)
    (setq llm-native-monitor--timer nil)))

(defun llm-native-monitor--start (&rest _)
  "Start the refresh timer unless it is running."
  (unless llm-native-monitor--timer
    (setq llm-native-monitor--timer (run-at-time 0.5 0.5 #'llm-native-monitor--tick))))

(defun llm-native-monitor--at-point ()
  "The request at point, or a user error."
  (or (tabulated-list-get-id) (user-error "No request at point")))

(defun llm-native-monitor-cancel ()
  "Cancel the request at point; its owner gets an `llm-native-cancelled' error."
  (interactive)
  (let* ((req (llm-native-monitor--at-point))
         (handle (llm-native--req-handle req)))
    (when (llm-native--req-outcome req)
      (user-error "Request %d is not running" (llm-native--req-id req)))
    (llm-native-cancel-notifying handle "Cancelled from the request list")
    (message "Cancelled request %d" (llm-native--req-id req))
    (revert-buffer)))

(defun llm-native-cancel-notifying (handle message)
  "Cancel HANDLE like `llm-native-cancel', then tell its owner.
The request's error callback runs from a timer with
`llm-native-cancelled' and MESSAGE, as for a failed request: for use by
whoever cancels a request on behalf of the user, not by its owner."
  (let ((running (gethash handle llm-native--reqs)))
    (llm-native-cancel handle)
    (when running
      (run-at-time 0 nil #'llm-native--run-callback handle :on-error
                   'llm-native-cancelled message nil))))

(defun llm-native-monitor-show-buffer ()
  "Show the buffer the request at point writes to."
  (interactive)
  (let ((buffer (llm-native-handle-buffer (llm-native--req-handle (llm-native-monitor--at-point)))))
    (unless (buffer-live-p buffer) (user-error "That request's buffer was killed"))
    (pop-to-buffer buffer)))

(defun llm-native-monitor-copy-as-curl ()
  "Copy a curl command repeating the request at point."
  (interactive)
  (let ((llm-native-copy-as-curl-function #'llm-native-monitor--at-point))
    (llm-native-copy-as-curl)))

(defvar llm-native-monitor-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "c" #'llm-native-monitor-cancel)
    (define-key map (kbd "RET") #'llm-native-monitor-show-buffer)
    (define-key map "w" #'llm-native-monitor-copy-as-curl)
    map)
  "Keymap of `llm-native-monitor-mode'.")

(define-derived-mode llm-native-monitor-mode tabulated-list-mode "llm-native"
  "Major mode listing the requests running on llm-native, then the last finished.
Times are seconds: Time the duration, TTFT until the first token (the
first record of a plain request).  Tok/s counts from the first token;
while a request streams it is an estimate (4 bytes a token).
\\{llm-native-monitor-mode-map}"
  (setq tabulated-list-format [("Id" 4 llm-native-monitor--id<) ("State" 11 t)
                               ("Kind" 12 t) ("Time" 7 nil :right-align t)
                               ("TTFT" 6 nil :right-align t) ("Tok/s" 6 nil :right-align t)
                               ("Bytes" 7 nil :right-align t) ("Buffer" 14 t) ("URL" 0 t)])
  (setq tabulated-list-padding 1)
  (add-hook 'tabulated-list-revert-hook #'llm-native-monitor--refresh nil t)
  ;; Shown again after being hidden: refresh again.
  (add-hook 'window-buffer-change-functions #'llm-native-monitor--start nil t)
  (add-hook 'kill-buffer-hook #'llm-native-monitor--stop nil t)
  (tabulated-list-init-header))

(defun llm-native-monitor--id< (a b)
  "Non-nil when entry A's request is older than B's."
  (< (llm-native--req-id (car a)) (llm-native--req-id (car b))))

;;;###autoload
(defun llm-native-list-requests ()
  "Show the requests running on the llm-native engine, and the last finished."
  (interactive)
  (with-current-buffer (get-buffer-create llm-native-monitor--buffer-name)
    (unless (derived-mode-p 'llm-native-monitor-mode) (llm-native-monitor-mode))
    (llm-native-monitor--refresh)
    (tabulated-list-print t)
    (pop-to-buffer (current-buffer))
    (llm-native-monitor--start)))

(provide 'llm-native-monitor)
;;; llm-native-monitor.el ends here
