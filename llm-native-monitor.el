;;; llm-native-monitor.el --- List the requests running on llm-native  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; M-x llm-native-list-requests shows every request still running on the
;; native engine: its id, kind (dialect or stream format), age, progress
;; and URL (without the query string, where some providers put keys), and
;; the buffer it reports to.  `c' cancels the request at point, `g'
;; refreshes.

;;; Code:

(require 'tabulated-list)
(require 'llm-native-runtime)

(defun llm-native-monitor--entry (handle)
  "The tabulated-list entry of HANDLE."
  (let ((buffer (llm-native-handle-buffer handle)))
    (list handle
          (vector (number-to-string (llm-native-handle-id handle))
                  (format "%s" (or (llm-native-handle-kind handle) ""))
                  (format "%.1fs" (- (float-time) (or (llm-native-handle-started handle)
                                                      (float-time))))
                  (if (string-empty-p (llm-native-handle-text handle))
                      (format "%d records" (llm-native-handle-records handle))
                    (format "%d chars" (length (llm-native-handle-text handle))))
                  (if (buffer-live-p buffer) (buffer-name buffer) "(killed)")
                  (or (llm-native-handle-url handle) "")))))

(defun llm-native-monitor--refresh ()
  "Fill the list with the running requests."
  (setq tabulated-list-entries (mapcar #'llm-native-monitor--entry
                                       (llm-native-running-requests))))

(defun llm-native-monitor-cancel ()
  "Cancel the request at point."
  (interactive)
  (let ((handle (tabulated-list-get-id)))
    (unless handle (user-error "No request at point"))
    (llm-native-cancel handle)
    (message "Cancelled request %d" (llm-native-handle-id handle))
    (revert-buffer)))

(defvar llm-native-monitor-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "c" #'llm-native-monitor-cancel)
    map)
  "Keymap of `llm-native-monitor-mode'.")

(define-derived-mode llm-native-monitor-mode tabulated-list-mode "llm-native"
  "Major mode listing the requests running on llm-native.
\\{llm-native-monitor-mode-map}"
  (setq tabulated-list-format [("Id" 5 t) ("Kind" 16 t) ("Age" 8 t) ("Progress" 14 nil)
                               ("Buffer" 20 t) ("URL" 0 t)])
  (add-hook 'tabulated-list-revert-hook #'llm-native-monitor--refresh nil t)
  (tabulated-list-init-header))

;;;###autoload
(defun llm-native-list-requests ()
  "Show the requests running on the llm-native engine."
  (interactive)
  (with-current-buffer (get-buffer-create "*llm-native requests*")
    (llm-native-monitor-mode)
    (llm-native-monitor--refresh)
    (tabulated-list-print)
    (pop-to-buffer (current-buffer))))

(provide 'llm-native-monitor)
;;; llm-native-monitor.el ends here
