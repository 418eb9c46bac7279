;;; llm-native-tester.el --- Check what an llm provider can do  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; M-x llm-native-test-provider runs, against one llm provider, the checks
;; its `llm-capabilities' allow: chat, streaming, multi-output, tools (sync
;; and streaming), a JSON schema answer, embeddings and cancel.  It shows a
;; table in `*llm-native-test*' (check, pass/fail/skip, seconds, time to
;; first token, tokens per second, the provider's error text) and returns
;; the list of (CHECK STATUS SECONDS DETAIL).  Error texts are shown with the
;; provider's keys masked.  Part of the llm integration: needs llm.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
;; Not a `require' at top level: package.el compiles this file where llm may
;; not be installed; `M-x llm-native-test-provider' loads it with llm present.
(unless (featurep 'llm) (require 'llm))
(eval-when-compile
  (unless (require 'llm nil t)
    ;; Nothing of llm is known: warnings about it would only be noise.
    (setq byte-compile-warnings '(not unresolved))))
(require 'llm-native-log)

(defcustom llm-native-test-timeout 60
  "Seconds each check of `llm-native-test-provider' may take."
  :type 'number
  :group 'llm-native)

(defconst llm-native-test-checks
  '(chat streaming multi-output tools tools-streaming json-schema embeddings cancel)
  "The checks of `llm-native-test-provider', in the order they run.")

(defconst llm-native-tester--needs
  '((streaming . streaming) (tools . tool-use) (tools-streaming . streaming-tool-use)
    (json-schema . json-response) (embeddings . embeddings) (cancel . streaming))
  "The capability each check needs, when it needs one.")

(defun llm-native-tester--secrets (provider)
  "The key strings of PROVIDER: values of its slots named like a key."
  (let (secrets)
    (when (cl-struct-p provider)
      (dolist (slot (mapcar #'car (cdr (cl-struct-slot-info (type-of provider)))))
        (when (string-match-p "key\\|token\\|secret" (symbol-name slot))
          (let ((value (ignore-errors (cl-struct-slot-value (type-of provider) slot provider))))
            (when (functionp value) (setq value (ignore-errors (funcall value))))
            (when (and (stringp value) (>= (length value) 4)) (push value secrets))))))
    secrets))

(defun llm-native-tester--wait (finished)
  "Wait until FINISHED gives non-nil, at most `llm-native-test-timeout' seconds.
Return non-nil when it finished."
  (let ((deadline (+ (float-time) llm-native-test-timeout)))
    (while (and (not (funcall finished)) (< (float-time) deadline))
      (accept-process-output nil 0.02))
    (funcall finished)))

(defun llm-native-tester--tokens (value)
  "Output tokens of VALUE, a multi-output plist, else an estimate from its text."
  (cond ((and (consp value) (plist-get value :output-tokens)))
        ((and (consp value) (stringp (plist-get value :text)))
         (max 1 (/ (string-bytes (plist-get value :text)) 4)))
        ((stringp value) (max 1 (/ (string-bytes value) 4)))))

(defun llm-native-tester--tool (called)
  "A tool that records its call by calling CALLED with its argument."
  (llm-make-tool :function (lambda (city) (funcall called city) (format "Sunny in %s" city))
                 :name "get_weather"
                 :description "Get the current weather in a city."
                 :args '((:name "city" :type string :description "The city."))))

(defun llm-native-tester--prompt (check called)
  "Return the prompt for CHECK.
Its tool, if it has one, calls CALLED with its argument."
  (pcase check
    ((or 'tools 'tools-streaming)
     (llm-make-chat-prompt "What is the weather in Paris? Use the tool."
                           :tools (list (llm-native-tester--tool called))))
    ('json-schema
     (llm-make-chat-prompt "Answer with a JSON object whose \"answer\" is the word pong."
                           :response-format '(:type object :properties (:answer (:type string))
                                                    :required ["answer"])))
    ('cancel (llm-make-chat-prompt "Count from 1 to 200, one number a line."))
    (_ (llm-make-chat-prompt "Reply with the single word: pong" :max-tokens 20))))

(defun llm-native-tester--run (provider check)
  "Run CHECK on PROVIDER; return (STATUS DETAIL TTFT TOKENS-PER-SECOND).
Signals on failure, with the provider's message."
  (let* ((started (float-time)) (first nil) (done nil) (value nil) (failure nil)
         (called nil) (cancelled nil) (late nil)
         (prompt (llm-native-tester--prompt check (lambda (arg) (setq called (or arg t)))))
         (on-partial (lambda (_)
                       (cond (cancelled (setq late t))
                             ((not first) (setq first (float-time))))))
         (on-done (lambda (v) (setq done t value v)))
         (on-error (lambda (symbol message) (setq done t failure (list symbol message)))))
    (pcase check
      ((or 'chat 'multi-output 'tools 'json-schema)
       (llm-chat-async provider prompt on-done on-error (eq check 'multi-output)))
      ((or 'streaming 'tools-streaming)
       (llm-chat-streaming provider prompt on-partial on-done on-error t))
      ('embeddings
       (llm-embedding-async provider "pong" on-done on-error))
      ('cancel
       (let ((request (llm-chat-streaming provider prompt on-partial on-done on-error)))
         (llm-native-tester--wait (lambda () (or first done)))
         (when done (error "The request ended before it could be cancelled"))
         (llm-cancel-request request)
         (setq cancelled t)
         ;; Nothing may arrive after the cancel.
         (let ((llm-native-test-timeout 1))
           (llm-native-tester--wait (lambda () (or done late)))
           (when (or done late) (error "A callback ran after the request was cancelled"))
           (setq done t value 'cancelled)))))
    (unless (llm-native-tester--wait (lambda () done))
      (error "No answer within %ss" llm-native-test-timeout))
    (when failure (signal (car failure) (cdr failure)))
    (let* ((end (float-time))
           (tokens (llm-native-tester--tokens value))
           (from (or first started))
           (rate (and tokens (not (eq check 'cancel)) (> (- end from) 0.001)
                      (/ tokens (- end from)))))
      (list
       (pcase check
         ((or 'chat 'streaming)
          (let ((text (if (consp value) (plist-get value :text) value)))
            (unless (and (stringp text) (not (string-empty-p text)))
              (error "Empty answer: %S" value))
            (when (and (eq check 'streaming) (not first)) (error "No partial answer arrived"))
            (truncate-string-to-width (string-trim text) 40 nil nil "...")))
         ('multi-output
          (unless (and (consp value) (stringp (plist-get value :text)))
            (error "Not a multi-output plist: %S" value))
          (format "keys %s" (cl-loop for k in value by #'cddr collect k)))
         ((or 'tools 'tools-streaming)
          (unless called (error "The model did not call the tool: %S" value))
          (format "get_weather(%s)" called))
         ('json-schema
          (let ((parsed (ignore-errors (json-parse-string value :object-type 'alist))))
            (unless (alist-get 'answer parsed) (error "Not the JSON asked for: %S" value))
            (format "answer: %s" (alist-get 'answer parsed))))
         ('embeddings
          (unless (and (vectorp value) (> (length value) 0)) (error "Not a vector: %S" value))
          (format "%d dimensions" (length value)))
         ('cancel "no callback after cancel"))
       (and first (- first started))
       rate))))

(defun llm-native-tester--table (provider rows)
  "Display the result ROWS for PROVIDER in `*llm-native-test*'."
  (with-current-buffer (get-buffer-create "*llm-native-test*")
    (let ((inhibit-read-only t))
      (erase-buffer)
      (insert (format "llm-native provider test: %s\n\n" (type-of provider)))
      (insert (format "%-16s %-6s %8s %7s %7s  %s\n" "Check" "Status" "Seconds" "TTFT" "Tok/s"
                      "Detail"))
      (dolist (row rows)
        (pcase-let ((`(,check ,status ,seconds ,detail ,ttft ,rate) row))
          (insert (format "%-16s %-6s %8s %7s %7s  %s\n" check status
                          (if seconds (format "%.2f" seconds) "-")
                          (if ttft (format "%.2f" ttft) "-")
                          (if rate (format "%.0f" rate) "-")
                          (or detail "")))))
      (goto-char (point-min))
      (special-mode))
    (current-buffer)))

(defun llm-native-tester--provider-from-user ()
  "Read a provider: a variable's value, or an expression."
  (let* ((names nil))
    (mapatoms (lambda (symbol)
                (when (and (boundp symbol) (cl-struct-p (symbol-value symbol))
                           (string-prefix-p "llm-" (symbol-name (type-of (symbol-value symbol)))))
                  (push (symbol-name symbol) names))))
    (let ((answer (completing-read "Provider (variable or expression): " names)))
      (cond ((and (intern-soft answer) (boundp (intern-soft answer)))
             (symbol-value (intern-soft answer)))
            (t (eval (read answer) t))))))

;;;###autoload
(defun llm-native-test-provider (provider &optional checks)
  "Check what PROVIDER can do; show a table and return the results.
Interactively, PROVIDER is the value of a variable you name (such as
`ellama-provider') or of an expression.  CHECKS is a list of the
names in `llm-native-test-checks' (default: all); a check the
provider's `llm-capabilities' rule out is skipped.  Return a list of
\(CHECK STATUS SECONDS DETAIL), STATUS `pass', `fail' or `skip',
DETAIL the answer's gist or the error text, with keys masked."
  (interactive (list (llm-native-tester--provider-from-user)))
  (let ((capabilities (ignore-errors (llm-capabilities provider)))
        (secrets (llm-native-tester--secrets provider))
        (rows nil))
    (dolist (check (or checks llm-native-test-checks))
      (let ((need (alist-get check llm-native-tester--needs))
            (started (float-time)))
        (when (called-interactively-p 'interactive)
          (message "llm-native: testing %s..." check))
        (push
         (if (and need (not (memq need capabilities)))
             (list check 'skip nil (format "no %s capability" need) nil nil)
           (condition-case err
               (pcase-let ((`(,detail ,ttft ,rate) (llm-native-tester--run provider check)))
                 (list check 'pass (- (float-time) started)
                       (llm-native--mask detail secrets) ttft rate))
             (error
              (list check 'fail (- (float-time) started)
                    (llm-native--mask (llm-native-tester--error-text err) secrets) nil nil))))
         rows)))
    (setq rows (nreverse rows))
    (let ((buffer (llm-native-tester--table provider rows)))
      (when (called-interactively-p 'interactive) (pop-to-buffer buffer)))
    (mapcar (lambda (row) (seq-take row 4)) rows)))

(defun llm-native-tester--error-text (err)
  "The text of the error ERR, one line."
  (replace-regexp-in-string
   "[\n\t ]+" " "
   (if (stringp (cadr err))
       (format "%s: %s" (car err) (cadr err))
     (error-message-string err))))

(provide 'llm-native-tester)
;;; llm-native-tester.el ends here
