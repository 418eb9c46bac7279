;;; llm-native-results.el --- Results and callbacks of llm chat calls on the native engine  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; One chat call's state (`llm-native--chat-call'), and what becomes of
;; the engine's events: partial text to the partial callback, the result
;; recorded in the prompt, tools run, the response or the llm error to the
;; caller's callbacks, each at most once and in the caller's buffer.

;;; Code:

(require 'llm-native-providers)            ; and cl-lib, subr-x, llm
(llm-native--compile-without-llm)
(require 'llm-native-tools)

(cl-defstruct (llm-native--chat-call (:constructor llm-native--make-chat-call))
  "The state of one llm chat call on the native engine."
  provider prompt dialect multi-output buffer
  partial-callback response-callback error-callback
  handle last-partial finished)

(defvar llm-native--cancelled-handles (make-hash-table :test 'eq :weakness 'key)
  "Handles cancelled through `llm-cancel-request'; their calls stay silent.")

(defun llm-native--chat-call-live-p (call)
  "Return non-nil when CALL may still run callbacks."
  (not (or (llm-native--chat-call-finished call)
           (gethash (llm-native--chat-call-handle call) llm-native--cancelled-handles))))

(defun llm-native--redact (call message)
  "Return MESSAGE with the secrets of CALL's request masked.
They are the runtime's for the request (credential headers, the URL's
userinfo and query), picked only when a message needs them."
  (let ((message (if (stringp message) message (format "%s" message)))
        (handle (llm-native--chat-call-handle call)))
    (if handle (llm-native--scrub handle message) message)))

(defun llm-native--llm-error-symbol (symbol info)
  "Return the llm error symbol for the engine error SYMBOL with INFO."
  (pcase symbol
    ('llm-native-http-error
     (pcase (plist-get info :status)
       ((or 401 403) 'llm-request-authentication-error)
       (400 'llm-request-bad-request)
       (_ 'llm-request-error)))
    ('llm-native-timeout 'llm-request-timeout)
    ;; Cancelled by someone other than its owner (the request list): say so.
    ('llm-native-cancelled 'llm-native-cancelled)
    (_ 'llm-request-error)))

;; For llm callers, `llm-native-cancelled' is one of llm's request errors too.
(unless (memq 'llm-request-error (get 'llm-native-cancelled 'error-conditions))
  (put 'llm-native-cancelled 'error-conditions
       (append (remq 'error (get 'llm-native-cancelled 'error-conditions))
               (get 'llm-request-error 'error-conditions))))

(defun llm-native--fail (call symbol message)
  "Finish CALL by passing SYMBOL and MESSAGE to its error callback."
  (when (llm-native--chat-call-live-p call)
    (setf (llm-native--chat-call-finished call) t)
    (when-let ((callback (llm-native--chat-call-error-callback call)))
      (llm-native--in-buffer (llm-native--chat-call-buffer call)
                             callback symbol (llm-native--redact call message)))))

(defun llm-native--respond (call value)
  "Finish CALL by passing VALUE to its response callback."
  (when (llm-native--chat-call-live-p call)
    (setf (llm-native--chat-call-finished call) t)
    (when-let ((callback (llm-native--chat-call-response-callback call)))
      (llm-native--in-buffer (llm-native--chat-call-buffer call) callback value))))

(defun llm-native--on-progress (call text reasoning)
  "Deliver CALL's accumulated TEXT and REASONING to its partial callback."
  (let ((callback (llm-native--chat-call-partial-callback call)))
    (when (and callback (llm-native--chat-call-live-p call))
      (if (llm-native--chat-call-multi-output call)
          (let ((value (append (unless (equal text "") (list :text text))
                               (unless (equal reasoning "") (list :reasoning reasoning)))))
            (when (and value (not (equal value (llm-native--chat-call-last-partial call))))
              (setf (llm-native--chat-call-last-partial call) value)
              (funcall callback value)))
        (unless (or (equal text "") (equal text (llm-native--chat-call-last-partial call)))
          (setf (llm-native--chat-call-last-partial call) text)
          (funcall callback text))))))

(defun llm-native--append (prompt interaction)
  "Append INTERACTION to PROMPT's history."
  (setf (llm-chat-prompt-interactions prompt)
        (append (llm-chat-prompt-interactions prompt) (list interaction))))

(defun llm-native--tool-use-structs (call tool-calls)
  "Return the tool-use structs for the engine's TOOL-CALLS of CALL."
  (mapcar (lambda (tool-call)
            (let ((id (plist-get tool-call :id))
                  (name (plist-get tool-call :name))
                  (args (plist-get tool-call :args)))
              (setq id (and (stringp id) (not (string-empty-p id)) id))
              (if (equal (llm-native--chat-call-dialect call) "gemini")
                  (make-llm-gemini-tool-use
                   :id id :name name :args args
                   :thought-signature (alist-get 'thought_signature
                                                 (plist-get tool-call :extra)))
                (make-llm-provider-utils-tool-use :id id :name name :args args))))
          tool-calls))

(defun llm-native--multi-output (text reasoning uses result &optional tool-results)
  "Return the sanitized multi-output plist.
TEXT, REASONING, the tool-use structs USES, the engine RESULT (for
token counts) and the TOOL-RESULTS alist; nil values and, when tools
ran, empty text are left out."
  (let ((plist nil))
    (when (and text (not (and uses (equal text ""))))
      (setq plist (list :text text)))
    (when (and reasoning (not (equal reasoning "")))
      (setq plist (append plist (list :reasoning reasoning))))
    (when uses
      (setq plist (append plist
                          (list :tool-uses
                                (mapcar (lambda (use)
                                          (list :name (llm-provider-utils-tool-use-name use)
                                                :args (llm-provider-utils-tool-use-args use)))
                                        uses)))))
    (when tool-results (setq plist (append plist (list :tool-results tool-results))))
    (dolist (key '(:input-tokens :output-tokens))
      (when-let ((n (plist-get result key)))
        (setq plist (append plist (list key n)))))
    plist))

(defun llm-native--on-done (call result)
  "Record the engine RESULT of CALL in its prompt, run tools, and respond."
  (when (llm-native--chat-call-live-p call)
    (let* ((prompt (llm-native--chat-call-prompt call))
           (text (plist-get result :text))
           (reasoning (plist-get result :reasoning))
           (multi-turn (plist-get result :multi-turn))
           (uses (llm-native--tool-use-structs call (plist-get result :tool-calls))))
      (when (and text (not (string-empty-p text)))
        (llm-native--append prompt (make-llm-chat-prompt-interaction
                                    :role 'assistant :content text
                                    :multi-turn-plist multi-turn)))
      (if (null uses)
          (llm-native--respond call (if (llm-native--chat-call-multi-output call)
                                        (llm-native--multi-output text reasoning nil result)
                                      text))
        ;; Reasoning state belongs to the tool-call turn when there was no text.
        (llm-native--append prompt (make-llm-chat-prompt-interaction
                                    :role 'assistant :content uses
                                    :multi-turn-plist (unless (and text (not (string-empty-p text)))
                                                        multi-turn)))
        (llm-native--run-tools
         (llm-chat-prompt-tools prompt) uses (llm-native--chat-call-buffer call)
         (lambda (results alist)
           (when (llm-native--chat-call-live-p call)
             (llm-native--append prompt (make-llm-chat-prompt-interaction
                                         :role (or (llm-native--provider-get
                                                    (llm-native--chat-call-provider call)
                                                    :tool-results-role)
                                                   'tool-results)
                                         :tool-results results))
             (llm-native--respond call (if (llm-native--chat-call-multi-output call)
                                           (llm-native--multi-output text reasoning uses result alist)
                                         alist))))
         (lambda (symbol message) (llm-native--fail call symbol message)))))))

(defun llm-native--body-error-text (body)
  "Return the provider's error text from the error BODY string, or nil."
  (when (stringp body)
    (let ((parsed (ignore-errors (json-parse-string body :object-type 'alist))))
      (when (consp parsed)
        (let ((err (alist-get 'error parsed)))
          (cond ((stringp err) err)
                ((consp err) (alist-get 'message err))))))))

(defun llm-native--signal-llm-error (symbol message info)
  "Signal the llm error for the engine error SYMBOL with MESSAGE and INFO.
The provider's own error text in INFO's body is the message when there is one."
  (signal (llm-native--llm-error-symbol symbol info)
          (list (or (llm-native--body-error-text (plist-get info :body)) message))))

(defmacro llm-native--with-llm-errors (&rest body)
  "Run BODY, turning llm-native's own errors into llm's.
What the provider's protocol cannot carry (`llm-native-unsupported': a
PDF to an OpenAI-compatible server, say) is `llm-not-supported', as in
llm; another request llm-native cannot build (`llm-native-invalid-spec')
is `llm-invalid-argument'; any other `llm-native-error' (the module
missing, say) is `llm-error'.  Clients' `llm-error' handlers see them."
  (declare (indent 0) (debug t))
  `(condition-case err
       (progn ,@body)
     (llm-native-unsupported
      (signal 'llm-not-supported (list (error-message-string err))))
     (llm-native-invalid-spec
      (signal 'llm-invalid-argument (list (error-message-string err))))
     (llm-native-error
      (signal 'llm-error (list (error-message-string err))))))

(defun llm-native--sync (start)
  "Run the request that START begins and return its result, waiting for it.
START is called with a response callback and an error callback and
returns a handle.  Errors are signalled as (SYMBOL MESSAGE).
\\[keyboard-quit] cancels the request."
  (let* ((done nil) (value nil) (failure nil)
         (handle (funcall start
                          (lambda (result) (setq done t value result))
                          (lambda (symbol message) (setq done t failure (list symbol message))))))
    (unwind-protect
        (progn
          (llm-native--wait handle)
          ;; Async tools may still be running after the HTTP request finished.
          (while (not done) (accept-process-output nil 0.05)))
      (unless done
        (puthash handle t llm-native--cancelled-handles)
        (llm-native-cancel handle)))
    (when failure (signal (car failure) (cdr failure)))
    value))

(provide 'llm-native-results)
;;; llm-native-results.el ends here
