;;; llm-claude.el --- llm-native's Anthropic Claude provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-claude' part of the `llm' API
;; (Anthropic Messages API): struct, constructor, name, capabilities,
;; token limits, endpoint and headers.  It is used only when the real
;; `llm' package is not installed; llm-native serves the requests.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-provider-utils)
(require 'llm-models)

(llm-provider-utils-defstruct (llm-claude (:include llm-standard-chat-provider)
                                          (:constructor llm-claude--make))
  "Anthropic's Claude.  KEY is the API key, CHAT-MODEL the model name."
  (key nil :read-only t)
  (chat-model "claude-sonnet-4-6" :read-only t))

(defun make-llm-claude (&rest args)
  "Return an `llm-claude' provider configured by ARGS.
Keys: :key, :chat-model and the :default-chat-* keys."
  (apply #'llm-claude--make (llm-provider-utils-protect-key-arg args)))

(defconst llm-claude--url "https://api.anthropic.com/v1/"
  "Base URL of the Anthropic API.")

(defconst llm-claude-api-version "2023-06-01"
  "The anthropic-version header value.")

(defconst llm-claude-structured-output-beta "structured-outputs-2025-11-13"
  "The anthropic-beta header value that enables structured outputs.")

(cl-defmethod llm-provider-request-prelude ((provider llm-claude))
  "Check that PROVIDER has an API key."
  (unless (llm-claude-key provider)
    (signal 'llm-provider-unconfigured
            (list "To call Claude, add a key to the `llm-claude' provider."))))

(cl-defmethod llm-provider-headers ((provider llm-claude))
  "Return PROVIDER's key, version and (for JSON-capable models) beta headers."
  (append
   (list (cons "x-api-key" (llm-provider-utils-key-value (llm-claude-key provider)))
         (cons "anthropic-version" llm-claude-api-version))
   (when (memq 'json-response (llm-provider-utils-model-capabilities
                               (llm-claude-chat-model provider)))
     (list (cons "anthropic-beta" llm-claude-structured-output-beta)))))

(cl-defmethod llm-provider-chat-url ((_ llm-claude))
  "Return the Messages API endpoint."
  (concat llm-claude--url "messages"))

(cl-defmethod llm-name ((provider llm-claude))
  "Return the registry name of PROVIDER's model, else \"Claude\"."
  (if-let ((known (llm-models-match (llm-claude-chat-model provider))))
      (llm-model-name known)
    "Claude"))

(cl-defmethod llm-capabilities ((provider llm-claude))
  "Return the capabilities of PROVIDER and of its model."
  (llm-provider-utils-capability-union
   '(streaming tool-use streaming-tool-use image-input pdf-input)
   (llm-provider-utils-model-capabilities (llm-claude-chat-model provider))))

(cl-defmethod llm-chat-token-limit ((provider llm-claude))
  "Return the context length of PROVIDER's model."
  (llm-provider-utils-model-token-limit (llm-claude-chat-model provider)))

(cl-defmethod llm-nonfree-message-info ((_ llm-claude))
  "Return Anthropic's terms."
  "https://www.anthropic.com/legal/commercial-terms")

(cl-defmethod llm-models ((provider llm-claude))
  "Return the list of model names available from PROVIDER."
  (llm-provider-request-prelude provider)
  (llm-provider-utils-model-names (concat llm-claude--url "models")
                                  (llm-provider-headers provider) 'data 'id))

(provide 'llm-claude)
;;; llm-claude.el ends here
