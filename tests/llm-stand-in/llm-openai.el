;;; llm-openai.el --- llm-native's OpenAI provider types -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the OpenAI part of the `llm' API:
;; `llm-openai' (Responses API), `llm-openai-compatible' (Chat Completions)
;; and `llm-openrouter'; their structs, constructors, names, capabilities,
;; token limits, endpoints and headers.  It is used only when the real
;; `llm' package is not installed; llm-native serves the requests.
;;
;; Choice: a generic `llm-openai-compatible' server is often local free
;; software, so unlike `llm' it gives no OpenAI non-free warning; the
;; hosted services below it (OpenRouter, Azure, GitHub, DeepSeek) give
;; their own terms.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-provider-utils)
(require 'llm-models)

(defgroup llm-openai nil
  "OpenAI providers for llm."
  :group 'llm)

(defcustom llm-openai-example-prelude "Examples of how you should respond follow."
  "The text that introduces the examples in an OpenAI system message."
  :type 'string
  :group 'llm-openai)

(llm-provider-utils-defstruct (llm-openai (:include llm-standard-full-provider)
                          (:constructor llm-openai--make))
  "OpenAI through the Responses API.
KEY is the API key (a string, or a function returning it), CHAT-MODEL
and EMBEDDING-MODEL the model names."
  key (chat-model "gpt-5.4-mini") (embedding-model "text-embedding-3-small"))

(defun make-llm-openai (&rest args)
  "Return an `llm-openai' provider configured by ARGS.
Keys: :key, :chat-model, :embedding-model and the :default-chat-*
keys.  A string key is stored so that printing does not show it."
  (apply #'llm-openai--make (llm-provider-utils-protect-key-arg args)))

(llm-provider-utils-defstruct (llm-openai-compatible (:include llm-openai
                                               (chat-model "unset")
                                               (embedding-model "unset"))
                                     (:constructor llm-openai-compatible--make))
  "A server speaking OpenAI's Chat Completions API at URL.
URL is the base including the version path, e.g. http://host:8000/v1/."
  url)

(defun make-llm-openai-compatible (&rest args)
  "Return an `llm-openai-compatible' provider configured by ARGS.
Keys: :url, :key (optional), :chat-model, :embedding-model and the
:default-chat-* keys."
  (apply #'llm-openai-compatible--make (llm-provider-utils-protect-key-arg args)))

(llm-provider-utils-defstruct (llm-openrouter (:include llm-openai-compatible
                                        (url "https://openrouter.ai/api/v1/"))
                              (:constructor llm-openrouter--make))
  "OpenRouter.  CHAT-MODEL may be a list of models to fall back through.")

(defun make-llm-openrouter (&rest args)
  "Return an `llm-openrouter' provider configured by ARGS.
Keys as for `make-llm-openai-compatible'; :url defaults to OpenRouter's."
  (apply #'llm-openrouter--make (llm-provider-utils-protect-key-arg args)))

(defun llm-openai--first-model (model)
  "Return MODEL, or its first element when it is a list of models."
  (if (consp model) (car model) model))

(defun llm-openai--base-url (provider)
  "Return PROVIDER's base URL, ending with a slash."
  (let ((url (llm-openai-compatible-url provider)))
    (if (string-suffix-p "/" url) url (concat url "/"))))

;;;; llm-openai

(cl-defmethod llm-nonfree-message-info ((_ llm-openai))
  "Return OpenAI's terms of use."
  "https://openai.com/policies/terms-of-use")

(cl-defmethod llm-name ((_ llm-openai))
  "Return the name of the OpenAI provider."
  "Open AI")

(cl-defmethod llm-capabilities ((provider llm-openai))
  "Return the capabilities of PROVIDER, an `llm-openai'."
  (llm-provider-utils-capability-union
   '(streaming embeddings tool-use streaming-tool-use json-response model-list)
   (seq-intersection '(image-input reasoning)
                     (llm-provider-utils-model-capabilities
                      (llm-openai-chat-model provider)))))

(cl-defmethod llm-chat-token-limit ((provider llm-openai))
  "Return the context length of PROVIDER's chat model."
  (llm-provider-utils-model-token-limit
   (llm-openai--first-model (llm-openai-chat-model provider))))

(cl-defmethod llm-provider-request-prelude ((provider llm-openai))
  "Check that PROVIDER has an API key."
  (unless (llm-openai-key provider)
    (signal 'llm-provider-unconfigured
            (list "To call Open AI API, add a key to the `llm-openai' provider."))))

(cl-defmethod llm-provider-headers ((provider llm-openai))
  "Return the Authorization header of PROVIDER."
  (llm-provider-utils-bearer-headers (llm-openai-key provider)))

(cl-defgeneric llm-openai--url (provider command)
  "Return the URL of COMMAND (\"responses\", \"models\", ...) for PROVIDER.
As in llm, the chat, embedding and model list URLs of the OpenAI
family are built by this generic, so a subclass can redirect them all.")

(cl-defmethod llm-openai--url ((_ llm-openai) command)
  "Return the OpenAI API URL of COMMAND."
  (concat "https://api.openai.com/v1/" command))

(cl-defmethod llm-provider-chat-url ((provider llm-openai))
  "Return PROVIDER's Responses API endpoint."
  (llm-openai--url provider "responses"))

(cl-defmethod llm-provider-embedding-url ((provider llm-openai) &optional _batch)
  "Return PROVIDER's embeddings endpoint."
  (llm-openai--url provider "embeddings"))

(cl-defmethod llm-models ((provider llm-openai))
  "Return the list of model names available from PROVIDER."
  (llm-provider-request-prelude provider)
  (llm-provider-utils-model-names (llm-openai--url provider "models")
                                  (llm-provider-headers provider) 'data 'id))

(cl-defgeneric llm-provider-merge-non-standard-params (provider non-standard-params
                                                                request)
  "Merge NON-STANDARD-PARAMS (an alist) into REQUEST (a plist) for PROVIDER.
The default puts them at the top level of the body."
  (ignore provider)
  (append request
          (cl-loop for (name . value) in non-standard-params
                   append (list (intern (concat ":" (if (symbolp name)
                                                        (symbol-name name)
                                                      name)))
                                (llm-provider-utils-convert-to-serializable value)))))

;;;; llm-openai-compatible

(cl-defmethod llm-nonfree-message-info ((_ llm-openai-compatible))
  "Return nil: a compatible server may be free software."
  nil)

(cl-defmethod llm-name ((provider llm-openai-compatible))
  "Return the registry name of PROVIDER's model, or \"Open AI Compatible\"."
  (let ((known (llm-models-match
                (llm-openai--first-model (llm-openai-compatible-chat-model provider)))))
    (if known (llm-model-name known) "Open AI Compatible")))

(defun llm-openai--has-embedding-model (provider)
  "Return non-nil when PROVIDER has an embedding model set."
  (let ((model (llm-openai-compatible-embedding-model provider)))
    (and model (not (equal model "unset")))))

(cl-defmethod llm-capabilities ((provider llm-openai-compatible))
  "Return the capabilities of PROVIDER and of its chat model."
  (llm-provider-utils-capability-union
   '(streaming model-list)
   (when (llm-openai--has-embedding-model provider)
     '(embeddings embeddings-batch))
   (llm-provider-utils-model-capabilities
    (llm-openai--first-model (llm-openai-compatible-chat-model provider)))))

(cl-defmethod llm-provider-request-prelude ((_ llm-openai-compatible))
  "A compatible server may need no key, so there is nothing to check."
  nil)

(cl-defmethod llm-openai--url ((provider llm-openai-compatible) command)
  "Return the URL of COMMAND under PROVIDER's `url'."
  (concat (llm-openai--base-url provider) command))

(cl-defmethod llm-provider-chat-url ((provider llm-openai-compatible))
  "Return PROVIDER's Chat Completions endpoint."
  (llm-openai--url provider "chat/completions"))

(cl-defmethod llm-models ((provider llm-openai-compatible))
  "Return the list of model names available from PROVIDER."
  (llm-provider-utils-model-names (llm-openai--url provider "models")
                                  (llm-provider-headers provider) 'data 'id))

;;;; llm-openrouter

(cl-defmethod llm-nonfree-message-info ((_ llm-openrouter))
  "Return OpenRouter's terms of service."
  "https://openrouter.ai/terms")

(cl-defmethod llm-capabilities ((_ llm-openrouter))
  "Return the capabilities of an OpenRouter provider, without batch embeddings."
  (remq 'embeddings-batch (cl-call-next-method)))

(provide 'llm-openai)
;;; llm-openai.el ends here
