;;; llm-deepseek.el --- llm-native's DeepSeek provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-deepseek' part of the `llm' API:
;; struct, constructor, capabilities, endpoints and terms.  It is used only
;; when the real `llm' package is not installed.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-openai)

(llm-provider-utils-defstruct (llm-deepseek
                               (:include llm-openai-compatible
                                         (url "https://api.deepseek.com")
                                         (chat-model "deepseek-chat"))
                               (:constructor llm-deepseek--make))
  "DeepSeek's API.")

(defun make-llm-deepseek (&rest args)
  "Return an `llm-deepseek' provider configured by ARGS.
Keys: :key, :chat-model (\"deepseek-chat\"), :url and the
:default-chat-* keys."
  (apply #'llm-deepseek--make (llm-provider-utils-protect-key-arg args)))

(cl-defmethod llm-capabilities ((provider llm-deepseek))
  "Return the capabilities of PROVIDER and of its chat model."
  (llm-provider-utils-capability-union
   '(streaming model-list)
   (llm-provider-utils-model-capabilities (llm-deepseek-chat-model provider))))

(cl-defmethod llm-nonfree-message-info ((_ llm-deepseek))
  "Return DeepSeek's terms of use."
  "https://cdn.deepseek.com/policies/en-US/deepseek-terms-of-use.html")

(provide 'llm-deepseek)
;;; llm-deepseek.el ends here
