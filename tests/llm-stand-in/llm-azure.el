;;; llm-azure.el --- llm-native's Azure OpenAI provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-azure' part of the `llm' API:
;; struct, constructor, name, capabilities, endpoints and headers.  It is
;; used only when the real `llm' package is not installed.
;;
;; Choice: `llm' advertises the misspelled capability `embedding'; this
;; implementation advertises `embeddings', which Azure deployments support.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-openai)

(llm-provider-utils-defstruct (llm-azure (:include llm-openai-compatible)
                                         (:constructor llm-azure--make))
  "Azure OpenAI.  URL is the resource endpoint; the models are deployment names.")

(defun make-llm-azure (&rest args)
  "Return an `llm-azure' provider configured by ARGS.
Keys: :url, :key, :chat-model and :embedding-model (deployment names)
and the :default-chat-* keys."
  (apply #'llm-azure--make (llm-provider-utils-protect-key-arg args)))

(defconst llm-azure--api-version "2024-08-01-preview"
  "The Azure OpenAI API version sent with each request.")

(defun llm-azure--deployment-url (provider model operation)
  "Return PROVIDER's URL for OPERATION on the deployment MODEL."
  (format "%s/openai/deployments/%s/%s?api-version=%s"
          (string-remove-suffix "/" (llm-azure-url provider))
          model operation llm-azure--api-version))

(cl-defmethod llm-provider-chat-url ((provider llm-azure))
  "Return PROVIDER's chat endpoint."
  (llm-azure--deployment-url provider (llm-azure-chat-model provider)
                             "chat/completions"))

(cl-defmethod llm-provider-embedding-url ((provider llm-azure) &optional _batch)
  "Return PROVIDER's embeddings endpoint."
  (llm-azure--deployment-url provider (llm-azure-embedding-model provider)
                             "embeddings"))

(cl-defmethod llm-provider-headers ((provider llm-azure))
  "Return PROVIDER's api-key header."
  (when-let ((secret (llm-provider-utils-key-value (llm-azure-key provider))))
    (list (cons "api-key" secret))))

(cl-defmethod llm-capabilities ((_ llm-azure))
  "Return the capabilities of an Azure provider."
  (list 'streaming 'embeddings))

(cl-defmethod llm-name ((provider llm-azure))
  "Return the name of PROVIDER."
  (format "Azure OpenAI %s" (llm-azure-chat-model provider)))

(cl-defmethod llm-nonfree-message-info ((_ llm-azure))
  "Return Azure's legal terms."
  "https://azure.microsoft.com/en-us/support/legal/")

(provide 'llm-azure)
;;; llm-azure.el ends here
