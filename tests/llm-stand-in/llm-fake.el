;;; llm-fake.el --- llm-native's fake provider for tests -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of `llm-fake' from the `llm' API: a provider
;; that makes no requests, for tests and debugging.  It is used only when
;; the real `llm' package is not installed.  Its semantics follow `llm'
;; exactly, since client test suites (Ellama's) depend on them: everything
;; runs synchronously, streaming sends word-by-word cumulative partials
;; each ending with a space, and async errors pass the signal's data list.
;;
;; Choice: an action function returning neither a string nor a
;; (SYMBOL . DATA) pair signals `llm-invalid-argument' (`llm' signalled
;; the undefined symbol `llm-invalid').

;;; Code:

(require 'cl-lib)
(require 'llm)

(cl-defstruct llm-fake
  "A provider that answers without any request.
OUTPUT-TO-BUFFER, when non-nil, names a buffer that records each call.
CHAT-ACTION-FUNC, called with no arguments, returns the reply string or
a (SYMBOL . DATA) error to signal.  EMBEDDING-ACTION-FUNC likewise
returns a vector or an error."
  output-to-buffer chat-action-func embedding-action-func)

(defun llm-fake--record (provider text)
  "Append TEXT to PROVIDER's output buffer, if it has one."
  (when-let ((buffer (llm-fake-output-to-buffer provider)))
    (with-current-buffer (get-buffer-create buffer)
      (goto-char (point-max))
      (insert text "\n"))))

(defun llm-fake--run-action (action default)
  "Return the value of calling ACTION, or DEFAULT when ACTION is nil.
A (SYMBOL . DATA) value is signalled."
  (let ((value (if action (funcall action) default)))
    (when (and (consp value) (symbolp (car value)))
      (signal (car value) (cdr value)))
    value))

(defun llm-fake--chat-text (provider default)
  "Return PROVIDER's reply text, or DEFAULT when it has no action function."
  (let ((text (llm-fake--run-action (llm-fake-chat-action-func provider) default)))
    (unless (stringp text)
      (signal 'llm-invalid-argument
              (list (format "Fake chat action returned %S, not a string" text))))
    text))

(cl-defmethod llm-chat ((provider llm-fake) prompt &optional multi-output)
  "Return PROVIDER's canned reply to PROMPT and record it in PROMPT.
With MULTI-OUTPUT the reply is returned as (:text REPLY)."
  (llm-fake--record provider (concat "Call to llm-chat\n"
                                     (llm-chat-prompt-to-text prompt)))
  (let ((text (llm-fake--chat-text provider "Sample response from `llm-chat-async'")))
    (llm-chat-prompt-append-response prompt text 'assistant)
    (if multi-output (list :text text) text)))

(cl-defmethod llm-chat-async ((provider llm-fake) prompt response-callback
                              error-callback &optional multi-output)
  "Chat with PROVIDER about PROMPT and call back at once.
RESPONSE-CALLBACK receives the reply (a plist with MULTI-OUTPUT);
ERROR-CALLBACK receives the error symbol and the signal's data list.
Return nil."
  (let ((outcome (condition-case err
                     (cons 'ok (llm-chat provider prompt multi-output))
                   (t (cons 'error err)))))
    (if (eq (car outcome) 'ok)
        (funcall response-callback (cdr outcome))
      (funcall error-callback (cadr outcome) (cddr outcome))))
  nil)

(cl-defmethod llm-chat-streaming ((provider llm-fake) prompt partial-callback
                                  response-callback _error-callback
                                  &optional multi-output)
  "Stream PROVIDER's canned reply to PROMPT word by word, synchronously.
PARTIAL-CALLBACK receives the words so far, each followed by a space;
RESPONSE-CALLBACK the whole reply.  With MULTI-OUTPUT both are wrapped
as (:text ...).  Errors from the action function are signalled.
Return nil."
  (llm-fake--record provider (concat "Call to llm-chat-streaming\n"
                                     (llm-chat-prompt-to-text prompt)))
  (let ((text (llm-fake--chat-text provider
                                   "Sample response from `llm-chat-streaming'"))
        (accumulated ""))
    (dolist (word (split-string text))
      (setq accumulated (concat accumulated word " "))
      (funcall partial-callback (if multi-output (list :text accumulated)
                                  accumulated))
      (sleep-for 0.1))
    (llm-chat-prompt-append-response prompt text 'assistant)
    (funcall response-callback (if multi-output (list :text text) text)))
  nil)

(defconst llm-fake--default-embedding [0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9]
  "The embedding a fake provider returns without an action function.")

(cl-defmethod llm-embedding ((provider llm-fake) string)
  "Return PROVIDER's canned embedding of STRING."
  (llm-fake--record provider (format "Call to llm-embedding with text: %s" string))
  (llm-fake--run-action (llm-fake-embedding-action-func provider)
                        llm-fake--default-embedding))

(cl-defmethod llm-embedding-async ((provider llm-fake) string vector-callback
                                   error-callback)
  "Compute PROVIDER's canned embedding of STRING and call back at once.
VECTOR-CALLBACK receives the vector, ERROR-CALLBACK the error symbol
and the signal's data list.  Return nil."
  (let ((outcome (condition-case err
                     (cons 'ok (llm-embedding provider string))
                   (t (cons 'error err)))))
    (if (eq (car outcome) 'ok)
        (funcall vector-callback (cdr outcome))
      (funcall error-callback (cadr outcome) (cddr outcome))))
  nil)

(cl-defmethod llm-batch-embeddings ((provider llm-fake) string-list)
  "Return PROVIDER's canned embeddings of STRING-LIST, in order."
  (mapcar (lambda (string) (llm-embedding provider string)) string-list))

(cl-defmethod llm-batch-embeddings-async ((provider llm-fake) string-list
                                          vector-callback error-callback)
  "Compute PROVIDER's canned embeddings of STRING-LIST and call back at once.
VECTOR-CALLBACK receives the list of vectors, ERROR-CALLBACK the error
symbol and the signal's data list.  Return nil."
  (let ((outcome (condition-case err
                     (cons 'ok (llm-batch-embeddings provider string-list))
                   (t (cons 'error err)))))
    (if (eq (car outcome) 'ok)
        (funcall vector-callback (cdr outcome))
      (funcall error-callback (cadr outcome) (cddr outcome))))
  nil)

(cl-defmethod llm-name ((_ llm-fake))
  "Return the name of the fake provider."
  "Fake")

(cl-defmethod llm-capabilities ((_ llm-fake))
  "Return the capabilities of the fake provider."
  (list 'streaming 'embeddings))

(provide 'llm-fake)
;;; llm-fake.el ends here
