;;; llm-llamacpp.el --- llm-native's llama.cpp provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the deprecated `llm-llamacpp' part of the
;; `llm' API: struct, constructor, name, capabilities and endpoints.  It is
;; used only when the real `llm' package is not installed.  Building a URL
;; warns that the type is deprecated in favour of `llm-openai-compatible'.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-openai)

(defgroup llm-llamacpp nil
  "The llama.cpp provider for llm."
  :group 'llm)

(defcustom llm-llamacpp-example-prelude "Examples of how you should respond follow."
  "The text that introduces the examples in a llama.cpp prompt."
  :type 'string
  :group 'llm-llamacpp)

(defcustom llm-llamacpp-history-prelude
  "You are in the middle of a conversation between you and a user.  First, we will give you the previous conversation between you ('assistant') and the user, so you have the context, and then give you the latest message for you to response to.  The previous conversation follows."
  "The text that introduces the earlier turns of a collapsed conversation."
  :type 'string
  :group 'llm-llamacpp)

(llm-provider-utils-defstruct (llm-llamacpp (:include llm-openai-compatible)
                                            (:constructor llm-llamacpp--make))
  "A llama.cpp server at SCHEME://HOST:PORT.  Deprecated."
  (scheme "http") (host "localhost") (port 8080))

(defun make-llm-llamacpp (&rest args)
  "Return an `llm-llamacpp' provider configured by ARGS.
Keys: :scheme (\"http\"), :host (\"localhost\"), :port (8080) and the
OpenAI-compatible keys.  Deprecated: use `make-llm-openai-compatible'."
  (apply #'llm-llamacpp--make (llm-provider-utils-protect-key-arg args)))

(defun llm-llamacpp--url (provider path)
  "Return the URL of PATH on PROVIDER's server, warning of the deprecation."
  (display-warning 'llm "llm-llamacpp is deprecated; use llm-openai-compatible")
  (format "%s://%s:%d/%s" (llm-llamacpp-scheme provider)
          (llm-llamacpp-host provider) (llm-llamacpp-port provider) path))

(cl-defmethod llm-provider-chat-url ((provider llm-llamacpp))
  "Return PROVIDER's chat endpoint."
  (llm-llamacpp--url provider "chat/completions"))

(cl-defmethod llm-provider-embedding-url ((provider llm-llamacpp) &optional _batch)
  "Return PROVIDER's embedding endpoint."
  (llm-llamacpp--url provider "embedding"))

(cl-defmethod llm-name ((_ llm-llamacpp))
  "Return the name of a llama.cpp provider."
  "Llama CPP")

(cl-defmethod llm-capabilities ((_ llm-llamacpp))
  "Return the capabilities of a llama.cpp server."
  (list 'streaming 'embeddings))

(provide 'llm-llamacpp)
;;; llm-llamacpp.el ends here
