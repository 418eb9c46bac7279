;;; llm-gemini.el --- llm-native's Google Gemini provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-gemini' part of the `llm' API
;; (the Generative Language API, authenticated by an API key): struct,
;; constructor, name, capabilities, token limits and endpoints.  It is used
;; only when the real `llm' package is not installed.
;;
;; The key travels in the query string of each endpoint, so the URL
;; methods return secrets: never log them.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-provider-utils)
(require 'llm-vertex)

(llm-provider-utils-defstruct (llm-gemini (:include llm-google)
                                          (:constructor llm-gemini--make))
  "Google Gemini.  KEY is the API key, CHAT-MODEL and EMBEDDING-MODEL the models."
  key (chat-model "gemini-3.1-pro-preview") (embedding-model "gemini-embedding-001"))

(defun make-llm-gemini (&rest args)
  "Return an `llm-gemini' provider configured by ARGS.
Keys: :key, :chat-model, :embedding-model and the :default-chat-* keys."
  (apply #'llm-gemini--make (llm-provider-utils-protect-key-arg args)))

(defconst llm-gemini--url "https://generativelanguage.googleapis.com/v1beta/"
  "Base URL of the Generative Language API.")

(declare-function url-hexify-string "url-util" (string &optional allowed-chars))
(autoload 'url-hexify-string "url-util")

(defun llm-gemini--url (provider path)
  "Return the URL of PATH for PROVIDER, with its key in the query string."
  (let ((key (or (llm-provider-utils-key-value (llm-gemini-key provider)) "")))
    (format "%s%s?key=%s" llm-gemini--url path
            ;; Escaping is slow; a key of URL-safe characters needs none.
            (if (string-match-p "\\`[-A-Za-z0-9_.~]*\\'" key) key (url-hexify-string key)))))

(cl-defmethod llm-provider-request-prelude ((provider llm-gemini))
  "Check that PROVIDER has an API key."
  (unless (llm-gemini-key provider)
    (signal 'llm-provider-unconfigured
            (list "To call Gemini, add a key to the `llm-gemini' provider."))))

(cl-defmethod llm-provider-chat-url ((provider llm-gemini))
  "Return PROVIDER's chat endpoint."
  (llm-gemini--url provider (format "models/%s:generateContent"
                                    (llm-gemini-chat-model provider))))

(cl-defmethod llm-provider-chat-streaming-url ((provider llm-gemini))
  "Return PROVIDER's streaming chat endpoint (a streamed JSON array)."
  (llm-gemini--url provider (format "models/%s:streamGenerateContent"
                                    (llm-gemini-chat-model provider))))

(cl-defmethod llm-provider-embedding-url ((provider llm-gemini) &optional batch)
  "Return PROVIDER's embedding endpoint, the batch one when BATCH."
  (llm-gemini--url provider (format "models/%s:%s"
                                    (llm-gemini-embedding-model provider)
                                    (if batch "batchEmbedContents" "embedContent"))))

(cl-defmethod llm-name ((_ llm-gemini))
  "Return the name of a Gemini provider."
  "Gemini")

(cl-defmethod llm-capabilities ((provider llm-gemini))
  "Return the capabilities of PROVIDER and of its model."
  (let ((model-capabilities (llm-provider-utils-model-capabilities
                             (llm-gemini-chat-model provider))))
    (llm-provider-utils-capability-union
     '(streaming embeddings model-list)
     (when (memq 'tool-use model-capabilities) '(tool-use streaming-tool-use))
     model-capabilities)))

(cl-defmethod llm-chat-token-limit ((provider llm-gemini))
  "Return the context length of PROVIDER's model (default 1048576)."
  (llm-provider-utils-model-token-limit (llm-gemini-chat-model provider) 1048576))

(cl-defmethod llm-models ((provider llm-gemini))
  "Return the list of model names available from PROVIDER."
  (llm-provider-request-prelude provider)
  (llm-provider-utils-model-names (llm-gemini--url provider "models/") nil
                                  'models 'name))

(provide 'llm-gemini)
;;; llm-gemini.el ends here
