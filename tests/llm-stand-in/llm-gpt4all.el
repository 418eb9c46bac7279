;;; llm-gpt4all.el --- llm-native's GPT4All provider type -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-gpt4all' part of the `llm' API:
;; struct, constructor, name and endpoint of a local GPT4All server.  It is
;; used only when the real `llm' package is not installed.
;;
;; Choices: GPT4All runs locally as free software, so there is no non-free
;; warning (`llm' inherited OpenAI's); streaming is left to llm-native,
;; which serves it like any OpenAI-compatible server (`llm''s streaming
;; override had an arity bug).

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-openai)

(llm-provider-utils-defstruct (llm-gpt4all (:include llm-openai-compatible)
                                           (:constructor llm-gpt4all--make))
  "A local GPT4All server at HOST (default localhost) and PORT (4891)."
  host port)

(defun make-llm-gpt4all (&rest args)
  "Return an `llm-gpt4all' provider configured by ARGS.
Keys: :chat-model, :host, :port and the OpenAI-compatible keys."
  (apply #'llm-gpt4all--make (llm-provider-utils-protect-key-arg args)))

(cl-defmethod llm-provider-chat-url ((provider llm-gpt4all))
  "Return PROVIDER's chat endpoint."
  (format "http://%s:%d/v1/chat/completions"
          (or (llm-gpt4all-host provider) "localhost")
          (or (llm-gpt4all-port provider) 4891)))

(cl-defmethod llm-name ((provider llm-gpt4all))
  "Return the name of PROVIDER, its chat model."
  (llm-gpt4all-chat-model provider))

(cl-defmethod llm-capabilities ((_ llm-gpt4all))
  "Return the capabilities of a GPT4All server."
  (list 'streaming))

(provide 'llm-gpt4all)
;;; llm-gpt4all.el ends here
