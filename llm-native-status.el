;;; llm-native-status.el --- Mode-line status and the synchronous-wait message  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; The global mode line shows " LLM:N 42t/s" while N requests run (the
;; tokens per second of those streaming now), and nothing otherwise: the
;; element is a variable that is nil when no request runs, and the one-second
;; timer that keeps the figure fresh runs only while requests run (and stops
;; at its first tick after the last one ended).
;;
;; A synchronous call (`llm-native-request-sync', `llm-chat') that has waited
;; more than a second says in the echo area what it waits for and that C-g
;; cancels it.

;;; Code:

(require 'llm-native-log)

(declare-function llm-native-handle-url "llm-native-runtime")
(declare-function llm-native-list-requests "llm-native-monitor")
(defvar llm-native-mode)

(defcustom llm-native-status-in-mode-line t
  "Non-nil: show the running requests in the global mode line.
Shown while `llm-native-mode' is on (or when the llm integration is
not loaded) and a request runs."
  :type 'boolean
  :group 'llm-native)

(defvar llm-native--status-string nil
  "The mode-line text of the running requests, or nil when none runs.")
(put 'llm-native--status-string 'risky-local-variable t)

(defvar llm-native--status-map
  (make-mode-line-mouse-map 'mouse-1 #'llm-native-list-requests)
  "Keymap of the mode-line status.")

(defvar llm-native--status-timer nil
  "The timer refreshing the status while requests run.")

(defvar llm-native--status-rate 0
  "Tokens per second of the running requests at the last refresh.")

(defun llm-native--status-text (&optional measure)
  "Return the mode-line text for the running requests, or nil if there are none.
With MEASURE, sum the tokens per second of those receiving anew;
otherwise reuse the last sum, so starting or ending a request costs
the same however many others run."
  (let ((count (hash-table-count llm-native--reqs)))
    (when (and llm-native-status-in-mode-line
               (or (not (boundp 'llm-native-mode)) llm-native-mode)
               (> count 0))
      (when measure
        (let ((rate 0))
          (maphash (lambda (_ req)
                     (let ((f (llm-native--req-figures req)))
                       (when (eq (plist-get f :state) 'receiving)
                         (setq rate (+ rate (or (plist-get f :tokens-per-second) 0))))))
                   llm-native--reqs)
          (setq llm-native--status-rate rate)))
      (propertize (if (> llm-native--status-rate 0)
                      (format " LLM:%d %dt/s" count (round llm-native--status-rate))
                    (format " LLM:%d" count))
                  'help-echo "llm-native requests running; mouse-1: list them"
                  'mouse-face 'mode-line-highlight
                  'local-map llm-native--status-map))))

(defvar llm-native--status-refresh-timer nil
  "The zero-delay timer of a refresh asked for by `llm-native--status-changed'.")

(defun llm-native--status-changed ()
  "Refresh the status soon: a request started or ended.
The refresh runs from a zero-delay timer, before the next redisplay
shows it, so requests started or ended together (fifty streams at
once) cost one refresh, not one each."
  (when (and (or llm-native-status-in-mode-line llm-native--status-string)
             (not llm-native--status-refresh-timer))
    (setq llm-native--status-refresh-timer (run-at-time 0 nil #'llm-native--status-refresh))))

(defun llm-native--status-refresh ()
  "Run the refresh that `llm-native--status-changed' asked for."
  (setq llm-native--status-refresh-timer nil)
  (llm-native--status-update))

(defun llm-native--status-update (&optional measure)
  "Recompute the mode-line status; start its timer if needed.
With MEASURE, also sum the tokens per second anew."
  (let ((text (llm-native--status-text measure)))
    (unless (equal text llm-native--status-string)
      (setq llm-native--status-string text)
      (force-mode-line-update t))
    (when (and text (not llm-native--status-timer))
      (setq llm-native--status-timer (run-at-time 1 1 #'llm-native--status-tick)))))

(defun llm-native--status-tick ()
  "Refresh the status and its rate; stop the timer once no request is running.
The timer outlives the last request by up to a second, so a run of
short requests does not make a timer each."
  (llm-native--status-update t)
  (unless llm-native--status-string
    (setq llm-native--status-rate 0)
    (cancel-timer llm-native--status-timer)
    (setq llm-native--status-timer nil)))

;; A mode-line list must not start with a symbol (that makes it a conditional).
(unless global-mode-string (setq global-mode-string (list "")))
(unless (memq 'llm-native--status-string global-mode-string)
  (setq global-mode-string (append global-mode-string '(llm-native--status-string))))

;;;; The synchronous wait

(defun llm-native--wait-message (handle started)
  "Say in the echo area that a call has waited since STARTED for HANDLE."
  (message "llm-native: waiting %ds for %s (C-g cancels)"
           (round (- (float-time) started))
           (llm-native--safe-url (or (llm-native-handle-url handle) "a response"))))

(defun llm-native--wait-notice (handle)
  "Start the timer that reports a synchronous wait for HANDLE after a second."
  (run-at-time 1 1 #'llm-native--wait-message handle (float-time)))

(defun llm-native--wait-notice-end (timer)
  "Stop TIMER from `llm-native--wait-notice' and clear its message."
  (cancel-timer timer)
  (let ((current (current-message)))
    (when (and current (string-prefix-p "llm-native: waiting " current))
      (message nil))))

(provide 'llm-native-status)
;;; llm-native-status.el ends here
