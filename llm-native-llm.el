;;; llm-native-llm.el --- The llm API served by llm-native's engine  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; Methods that make `llm-chat', `llm-chat-async', `llm-chat-streaming' and
;; the embedding entry points of llm's provider types run on the native
;; engine (llm-native-runtime.el) while `llm-native-mode' is on.  The
;; same methods serve the real `llm' package and the tests' stand-in for it
;; (tests/llm-stand-in).
;;
;; Routing uses a method specializer of its own, `(llm-native)', backed by a
;; `cl-generic' generalizer that matches a provider only while the mode is on
;; and the provider's type is one the engine serves.  Its priority is above
;; struct types, so the native primary method wins over llm's standard
;; provider methods, while llm's own :around (logging) and :before (non-free
;; warnings) methods keep running around it.  With the mode off the
;; specializer matches nothing and llm's own methods run as before.
;;
;; This file holds the mode and the chat entry points and loads the rest,
;; one file a job: llm-native-providers.el (the provider table, routing,
;; URLs and headers), llm-native-prompt.el (the canonical prompt),
;; llm-native-policy.el (model policy), llm-native-results.el (results and
;; callbacks), llm-native-embed.el (embeddings) and llm-native-models.el
;; (model lists).

;;; Code:

(require 'cl-lib)
;; llm-native.el loads this file once llm is loaded; a direct require loads llm.
(unless (featurep 'llm) (require 'llm))
(require 'llm-native-providers)
(llm-native--compile-without-llm)
(require 'llm-native-runtime)
(require 'llm-native-prompt)
(require 'llm-native-results)
(require 'llm-native-embed)
(require 'llm-native-models)

(defvar llm-request-plz-connect-timeout)
(defvar llm-request-plz-timeout)

;;;; The mode

;;;###autoload
(define-minor-mode llm-native-mode
  "Serve the `llm' package's providers with llm-native's engine.
While on, chat, streaming chat and embeddings of the OpenAI,
OpenAI-compatible (and its family), Ollama, Claude, Gemini and
Vertex providers run on the native engine; while off, llm's own
implementation runs."
  :global t
  :group 'llm-native)

;;;; Chat entry points

(defun llm-native--serve-chat (provider prompt streaming partial-callback
                                        response-callback error-callback multi-output)
  "Start a chat of PROVIDER on PROMPT and return the request handle.
STREAMING selects a streamed response.  PARTIAL-CALLBACK,
RESPONSE-CALLBACK and ERROR-CALLBACK follow llm's contracts;
MULTI-OUTPUT selects plist results."
  (let* ((endpoint (llm-native--endpoint provider (if streaming 'stream 'chat)))
         (dialect (plist-get endpoint :dialect))
         (call (llm-native--make-chat-call
                :provider provider :prompt prompt :dialect dialect
                :multi-output multi-output :buffer (current-buffer)
                :partial-callback partial-callback :response-callback response-callback
                :error-callback error-callback))
         (handle (llm-native--with-llm-errors
                   ;; The module builds the body from the canonical prompt in one pass.
                   (llm-native--chat-request
                    :url (plist-get endpoint :url)
                    :headers (plist-get endpoint :headers)
                    :dialect dialect
                    :prompt (llm-native--serialize
                             (llm-native--canonical-prompt provider prompt dialect))
                    :streaming streaming
                    ;; llm's own timeout settings apply when the llm package set them.
                    :connect-timeout (if (boundp 'llm-request-plz-connect-timeout)
                                         llm-request-plz-connect-timeout
                                       llm-native-connect-timeout)
                    :timeout (if (boundp 'llm-request-plz-timeout)
                                 llm-request-plz-timeout
                               llm-native-timeout)
                    :on-progress (lambda (text reasoning)
                                   (llm-native--on-progress call text reasoning))
                    :on-done (lambda (result)
                               ;; A result the llm layer cannot use (e.g. tool
                               ;; calls of the wrong shape) fails the call,
                               ;; rather than leave a synchronous `llm-chat' waiting.
                               (condition-case err
                                   (llm-native--on-done call result)
                                 (error
                                  (llm-native--fail call 'llm-request-error
                                                    (error-message-string err))
                                  (signal (car err) (cdr err)))))
                    :on-error (lambda (symbol message info)
                                (llm-native--fail call (llm-native--llm-error-symbol symbol info)
                                                  message))))))
    (setf (llm-native--chat-call-handle call) handle)
    handle))

(cl-defmethod llm-chat ((provider (llm-native)) prompt &optional multi-output)
  "Chat with PROVIDER on PROMPT on the native engine, waiting for the result.
With MULTI-OUTPUT return a plist.  Errors are signalled with the llm
error symbol and data (MESSAGE)."
  (llm-native--sync
   (lambda (on-response on-error)
     (llm-native--serve-chat provider prompt nil nil on-response on-error multi-output))))

(cl-defmethod llm-chat-async ((provider (llm-native)) prompt response-callback error-callback
                              &optional multi-output)
  "Chat with PROVIDER on PROMPT on the native engine; return the request handle.
RESPONSE-CALLBACK gets the result, ERROR-CALLBACK an error symbol and
message.  MULTI-OUTPUT selects a plist result."
  (llm-native--serve-chat provider prompt nil nil response-callback error-callback multi-output))

(cl-defmethod llm-chat-streaming ((provider (llm-native)) prompt partial-callback
                                  response-callback error-callback &optional multi-output)
  "Stream a chat of PROVIDER on PROMPT on the native engine; return the handle.
PARTIAL-CALLBACK gets the accumulated text (a plist with MULTI-OUTPUT),
RESPONSE-CALLBACK the result, ERROR-CALLBACK an error symbol and message."
  (llm-native--serve-chat provider prompt t partial-callback response-callback
                          error-callback multi-output))

(cl-defmethod llm-cancel-request ((request llm-native-handle))
  "Cancel the native REQUEST.
None of its callbacks run afterwards."
  (puthash request t llm-native--cancelled-handles)
  (llm-native-cancel request))

;;;; Warm connections

(defun llm-native-preconnect (target)
  "Open a connection to TARGET's host ahead of its first request.
TARGET is a provider that llm-native serves, or a URL.  The engine
connects (and does the TLS handshake) in the background, so the next
request to that host starts on a warm connection; call it, say, when a
chat buffer opens.  Return non-nil when a connection is being opened,
nil when TARGET's URL cannot be made (a provider without its key, or
one llm-native does not serve).  Nothing else comes of it: no callback,
no error."
  (interactive (list (read-string "Preconnect to URL: ")))
  (let ((url (if (stringp target) target
               (ignore-errors (plist-get (llm-native--endpoint target 'stream) :url)))))
    (when (and (stringp url) (string-match-p "\\`https?://" url))
      (llm-native--preconnect url)
      t)))

(provide 'llm-native-llm)
;;; llm-native-llm.el ends here
