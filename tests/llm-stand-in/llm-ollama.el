;;; llm-ollama.el --- llm-native's Ollama provider types -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the Ollama part of the `llm' API:
;; `llm-ollama' and `llm-ollama-authed' structs and constructors, name,
;; capabilities, token limits, endpoints and headers.  It is used only when
;; the real `llm' package is not installed; llm-native serves the requests.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-provider-utils)
(require 'llm-models)

(defgroup llm-ollama nil
  "The Ollama provider for llm."
  :group 'llm)

(defcustom llm-ollama-example-prelude "Examples of how you should respond follow."
  "The text that introduces the examples in an Ollama system message."
  :type 'string
  :group 'llm-ollama)

(defcustom llm-ollama-chat-timeout 300
  "Seconds to wait for a synchronous Ollama embedding request."
  :type 'integer
  :group 'llm-ollama)

(llm-provider-utils-defstruct (llm-ollama (:include llm-standard-full-provider))
  "An Ollama server at SCHEME://HOST:PORT.
CHAT-MODEL and EMBEDDING-MODEL are the model names."
  (scheme "http") (host "localhost") (port 11434) chat-model embedding-model)

(llm-provider-utils-defstruct (llm-ollama-authed
                               (:include llm-ollama)
                               (:constructor llm-ollama-authed--make))
  "An Ollama server behind bearer-token authentication with KEY."
  key)

(defun make-llm-ollama-authed (&rest args)
  "Return an `llm-ollama-authed' provider configured by ARGS.
Keys as for `make-llm-ollama', plus :key."
  (apply #'llm-ollama-authed--make (llm-provider-utils-protect-key-arg args)))

(defun llm-ollama--url (provider path)
  "Return the URL of PATH on PROVIDER's server."
  (format "%s://%s:%d/api/%s" (llm-ollama-scheme provider)
          (llm-ollama-host provider) (llm-ollama-port provider) path))

(cl-defmethod llm-provider-chat-url ((provider llm-ollama))
  "Return PROVIDER's chat endpoint."
  (llm-ollama--url provider "chat"))

(cl-defmethod llm-provider-embedding-url ((provider llm-ollama) &optional _batch)
  "Return PROVIDER's embedding endpoint, for single and batch requests."
  (llm-ollama--url provider "embed"))

(cl-defmethod llm-provider-chat-timeout ((_ llm-ollama))
  "Return `llm-ollama-chat-timeout'."
  llm-ollama-chat-timeout)

(cl-defmethod llm-provider-headers ((provider llm-ollama-authed))
  "Return PROVIDER's Authorization header."
  (llm-provider-utils-bearer-headers (llm-ollama-authed-key provider)))

(cl-defmethod llm-name ((provider llm-ollama))
  "Return PROVIDER's chat model, else its embedding model."
  (or (llm-ollama-chat-model provider) (llm-ollama-embedding-model provider)))

(cl-defmethod llm-chat-token-limit ((provider llm-ollama))
  "Return the context length of PROVIDER's chat model (default 2048)."
  (llm-provider-utils-model-token-limit (llm-ollama-chat-model provider) 2048))

(cl-defmethod llm-capabilities ((provider llm-ollama))
  "Return the capabilities of PROVIDER and of its models."
  (let ((chat (llm-provider-utils-model-capabilities (llm-ollama-chat-model provider)))
        (embedding (llm-provider-utils-model-capabilities
                    (llm-ollama-embedding-model provider))))
    (llm-provider-utils-capability-union
     '(streaming json-response model-list)
     (when (memq 'embedding embedding) '(embeddings embeddings-batch))
     (when (memq 'tool-use chat) '(tool-use streaming-tool-use))
     (seq-intersection '(image-input audio-input) chat))))

(cl-defmethod llm-models ((provider llm-ollama))
  "Return the names of the models installed on PROVIDER's server."
  (llm-provider-utils-model-names (llm-ollama--url provider "tags")
                                  (llm-provider-headers provider) 'models 'name))

(provide 'llm-ollama)
;;; llm-ollama.el ends here
