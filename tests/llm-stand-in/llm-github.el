;;; llm-github.el --- llm-native's GitHub Models provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-github' part of the `llm' API
;; (GitHub Models): struct, constructor, name and endpoints.  It is used
;; only when the real `llm' package is not installed.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-azure)

(llm-provider-utils-defstruct (llm-github
                               (:include llm-azure
                                         (url "https://models.inference.ai.azure.com"))
                               (:constructor llm-github--make))
  "GitHub Models, authenticated by a GitHub token as KEY.")

(defun make-llm-github (&rest args)
  "Return an `llm-github' provider configured by ARGS.
Keys: :key (a GitHub token), :chat-model, :embedding-model, :url and
the :default-chat-* keys."
  (apply #'llm-github--make (llm-provider-utils-protect-key-arg args)))

(cl-defmethod llm-provider-chat-url ((provider llm-github))
  "Return PROVIDER's chat endpoint."
  (concat (string-remove-suffix "/" (llm-github-url provider)) "/chat/completions"))

(cl-defmethod llm-name ((provider llm-github))
  "Return the name of PROVIDER."
  (format "GitHub Models %s" (llm-github-chat-model provider)))

(cl-defmethod llm-nonfree-message-info ((_ llm-github))
  "Return GitHub's terms for GitHub Models."
  "https://docs.github.com/en/site-policy/github-terms/github-terms-for-additional-products-and-features")

(provide 'llm-github)
;;; llm-github.el ends here
