;;; llm-models.el --- llm-native's registry of known LLM models -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the model registry of the `llm' API
;; (`llm-model', `llm-models', `llm-models-match', `llm-models-by-symbol',
;; `llm-models-add').  It is used only when the real `llm' package is not
;; installed.  The data (capabilities and context lengths) was compiled
;; from the model vendors' public documentation.
;;
;; Each regex is written so that at most one model matches any name: a test
;; checks that the order of the list does not change any match.

;;; Code:

(require 'cl-lib)

(cl-defstruct llm-model
  "A known model.
NAME is a display name, SYMBOL a stable identifier, CAPABILITIES a list
of symbols, CONTEXT-LENGTH the context window in tokens, and REGEX
matches the downcased model names that denote it."
  name symbol capabilities context-length regex)

(defun llm-models--entries (specs)
  "Return `llm-model' records from SPECS.
Each spec is (NAME SYMBOL CAPABILITIES CONTEXT-LENGTH REGEX)."
  (mapcar (lambda (spec)
            (make-llm-model :name (nth 0 spec) :symbol (nth 1 spec)
                            :capabilities (nth 2 spec)
                            :context-length (nth 3 spec) :regex (nth 4 spec)))
          specs))

(defvar llm-models
  (llm-models--entries
   '(;; OpenAI
     ("GPT-3.5 Turbo" gpt-3.5-turbo (generation tool-use) 16385 "gpt-3\\.5")
     ("GPT-4" gpt-4 (generation tool-use) 8192 "gpt-4\\(?:\\'\\|-[0-9]\\)")
     ("GPT-4 Turbo" gpt-4-turbo (generation tool-use image-input) 128000
      "gpt-4-turbo")
     ("GPT-4o" gpt-4o (generation tool-use image-input json-response) 128000
      "gpt-4o\\(?:\\'\\|-20\\|-latest\\)")
     ("GPT-4o mini" gpt-4o-mini (generation tool-use image-input json-response)
      128000 "gpt-4o-mini")
     ("GPT-4.1" gpt-4.1 (generation tool-use image-input json-response) 1047576
      "gpt-4\\.1\\(?:\\'\\|-20\\)")
     ("GPT-4.1 mini" gpt-4.1-mini (generation tool-use image-input json-response)
      1047576 "gpt-4\\.1-mini")
     ("GPT-4.1 nano" gpt-4.1-nano (generation tool-use image-input json-response)
      1047576 "gpt-4\\.1-nano")
     ("o1" o1 (generation tool-use image-input json-response reasoning) 200000
      "\\(?:\\`\\|/\\)o1\\(?:\\'\\|-20\\|-pro\\|-preview\\)")
     ("o1 mini" o1-mini (generation reasoning) 128000 "\\(?:\\`\\|/\\)o1-mini")
     ("o3" o3 (generation tool-use image-input json-response reasoning) 200000
      "\\(?:\\`\\|/\\)o3\\(?:\\'\\|-20\\|-pro\\)")
     ("o3 mini" o3-mini (generation tool-use json-response reasoning) 200000
      "\\(?:\\`\\|/\\)o3-mini")
     ("o4 mini" o4-mini (generation tool-use image-input json-response reasoning)
      200000 "\\(?:\\`\\|/\\)o4-mini")
     ("GPT-5" gpt-5 (generation tool-use image-input json-response reasoning)
      400000 "gpt-5\\(?:\\'\\|-20\\|-chat\\|-pro\\|-codex\\)")
     ("GPT-5 mini" gpt-5-mini (generation tool-use image-input json-response reasoning)
      400000 "gpt-5-mini")
     ("GPT-5 nano" gpt-5-nano (generation tool-use image-input json-response reasoning)
      400000 "gpt-5-nano")
     ("GPT-5.1" gpt-5.1 (generation tool-use image-input json-response reasoning)
      400000 "gpt-5\\.1\\(?:\\'\\|-20\\|-chat\\|-codex\\)")
     ("GPT-5.2" gpt-5.2 (generation tool-use image-input json-response reasoning)
      400000 "gpt-5\\.2\\(?:\\'\\|-20\\|-chat\\|-pro\\|-codex\\)")
     ("GPT-5.4" gpt-5.4 (generation tool-use image-input json-response reasoning)
      400000 "gpt-5\\.4\\(?:\\'\\|-20\\|-pro\\)")
     ("GPT-5.4 mini" gpt-5.4-mini
      (generation tool-use image-input json-response reasoning)
      400000 "gpt-5\\.4-mini")
     ("GPT-5.4 nano" gpt-5.4-nano
      (generation tool-use image-input json-response reasoning)
      400000 "gpt-5\\.4-nano")
     ("gpt-oss 20b" gpt-oss-20b (generation tool-use reasoning free-software)
      131072 "gpt-oss[-:]20b")
     ("gpt-oss 120b" gpt-oss-120b (generation tool-use reasoning free-software)
      131072 "gpt-oss[-:]120b")
     ("OpenAI text-embedding-3-small" text-embedding-3-small (embedding) 8191
      "text-embedding-3-small")
     ("OpenAI text-embedding-3-large" text-embedding-3-large (embedding) 8191
      "text-embedding-3-large")
     ("OpenAI text-embedding-ada-002" text-embedding-ada-002 (embedding) 8191
      "text-embedding-ada-002")
     ;; Anthropic
     ("Claude 3 Haiku" claude-3-haiku (generation tool-use image-input caching)
      200000 "claude-3-haiku")
     ("Claude 3.5 Haiku" claude-3-5-haiku (generation tool-use image-input pdf-input caching)
      200000 "claude-3[.-]5-haiku")
     ("Claude 3.5 Sonnet" claude-3-5-sonnet
      (generation tool-use image-input pdf-input caching)
      200000 "claude-3[.-]5-sonnet")
     ("Claude 3.7 Sonnet" claude-3-7-sonnet
      (generation tool-use image-input pdf-input caching reasoning)
      200000 "claude-3[.-]7-sonnet")
     ("Claude 4 Sonnet" claude-4-sonnet
      (generation tool-use image-input pdf-input caching reasoning)
      200000 "claude-sonnet-4\\(?:\\'\\|-0\\|-20\\|@\\)")
     ("Claude 4 Opus" claude-4-opus
      (generation tool-use image-input pdf-input caching reasoning)
      200000 "claude-opus-4\\(?:\\'\\|-0\\|-20\\|@\\)")
     ("Claude 4.1 Opus" claude-4-1-opus
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-opus-4[.-]1")
     ("Claude 4.5 Sonnet" claude-4-5-sonnet
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-sonnet-4[.-]5")
     ("Claude 4.5 Haiku" claude-4-5-haiku
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-haiku-4[.-]5")
     ("Claude 4.5 Opus" claude-4-5-opus
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-opus-4[.-]5")
     ("Claude 4.6 Sonnet" claude-4-6-sonnet
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-sonnet-4[.-]6")
     ("Claude 4.6 Opus" claude-4-6-opus
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-opus-4[.-]6")
     ("Claude 4.7 Opus" claude-4-7-opus
      (generation tool-use image-input pdf-input caching json-response reasoning)
      200000 "claude-opus-4[.-]7")
     ;; Google
     ("Gemini 2.0 Flash" gemini-2-0-flash
      (generation tool-use image-input audio-input video-input json-response pdf-input)
      1048576 "gemini-2\\.0-flash")
     ("Gemini 2.5 Pro" gemini-2-5-pro
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-2\\.5-pro")
     ("Gemini 2.5 Flash" gemini-2-5-flash
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-2\\.5-flash\\(?:\\'\\|-preview\\|-latest\\|-[0-9]\\)")
     ("Gemini 2.5 Flash Lite" gemini-2-5-flash-lite
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-2\\.5-flash-lite")
     ("Gemini 3 Pro" gemini-3-pro
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-3-pro")
     ("Gemini 3 Flash" gemini-3-flash
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-3-flash")
     ("Gemini 3.1 Pro" gemini-3-1-pro
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-3\\.1-pro")
     ("Gemini 3.1 Flash Lite" gemini-3-1-flash-lite
      (generation tool-use image-input audio-input video-input json-response
                  pdf-input caching reasoning)
      1048576 "gemini-3\\.1-flash-lite")
     ("Gemini Embedding" gemini-embedding-001 (embedding) 2048 "gemini-embedding")
     ("Google text-embedding-004" text-embedding-004 (embedding) 2048
      "text-embedding-004")
     ("Gemma 2" gemma-2 (generation free-software) 8192 "gemma-?2")
     ("Gemma 3" gemma-3 (generation image-input free-software) 128000 "gemma-?3")
     ;; Meta
     ("Llama 3" llama-3 (generation free-software) 8192
      "llama-?3\\(?:\\'\\|[-:]\\)")
     ("Llama 3.1" llama-3.1 (generation tool-use free-software) 131072
      "llama-?3\\.1")
     ("Llama 3.2" llama-3.2 (generation tool-use free-software) 131072
      "llama-?3\\.2")
     ("Llama 3.3" llama-3.3 (generation tool-use free-software) 131072
      "llama-?3\\.3")
     ("Llama 4" llama-4 (generation tool-use image-input free-software) 1048576
      "llama-?4")
     ;; Alibaba
     ("Qwen 2.5" qwen-2.5 (generation tool-use free-software) 32768
      "qwen-?2\\.5\\(?:\\'\\|:\\|-[0-9]\\|-instruct\\)")
     ("Qwen 2.5 Coder" qwen-2.5-coder (generation tool-use free-software) 32768
      "qwen-?2\\.5-coder")
     ("Qwen 3" qwen-3 (generation tool-use reasoning free-software) 40960
      "qwen-?3\\(?:\\'\\|:\\|-[0-9]\\)")
     ("Qwen 3 Coder" qwen-3-coder (generation tool-use free-software) 262144
      "qwen-?3-coder")
     ("QwQ" qwq (generation tool-use reasoning free-software) 131072 "qwq")
     ;; Mistral
     ("Mistral 7B" mistral (generation tool-use free-software) 32768
      "mistral\\(?:\\'\\|:\\|-7b\\)")
     ("Mistral Small" mistral-small (generation tool-use free-software) 32768
      "mistral-small")
     ("Mistral Medium" mistral-medium (generation tool-use image-input) 131072
      "mistral-medium")
     ("Mistral Large" mistral-large (generation tool-use) 131072 "mistral-large")
     ("Mistral Nemo" mistral-nemo (generation tool-use free-software) 131072
      "mistral-nemo")
     ("Mixtral" mixtral (generation tool-use free-software) 32768 "mixtral")
     ("Codestral" codestral (generation) 256000 "codestral")
     ("Devstral" devstral (generation tool-use free-software) 131072 "devstral")
     ;; DeepSeek
     ("DeepSeek Chat" deepseek-chat (generation tool-use) 128000 "deepseek-chat")
     ("DeepSeek Reasoner" deepseek-reasoner (generation tool-use reasoning) 128000
      "deepseek-reasoner")
     ("DeepSeek R1" deepseek-r1 (generation reasoning free-software) 131072
      "deepseek-r1")
     ("DeepSeek V3" deepseek-v3 (generation tool-use free-software) 131072
      "deepseek-v3")
     ("DeepSeek Coder" deepseek-coder (generation free-software) 16384
      "deepseek-coder")
     ;; Microsoft
     ("Phi 3" phi-3 (generation free-software) 131072 "phi-?3")
     ("Phi 4" phi-4 (generation free-software) 16384 "phi-?4")
     ;; Open embedding models
     ("Nomic Embed Text" nomic-embed-text (embedding free-software) 8192
      "nomic-embed-text")
     ("MXBAI Embed Large" mxbai-embed-large (embedding free-software) 512
      "mxbai-embed-large")
     ("All MiniLM" all-minilm (embedding free-software) 256 "all-minilm")
     ("BGE-M3" bge-m3 (embedding free-software) 8192 "bge-m3")))
  "The list of known models, each an `llm-model'.
`llm-models-match' returns the first whose regex matches a name.")

(defun llm-models-match (name)
  "Return the `llm-model' whose regex matches the model NAME, or nil.
NAME is compared downcased."
  (when (stringp name)
    (let ((case-fold-search nil)
          (downcased (downcase name)))
      (cl-find-if (lambda (model)
                    (string-match-p (llm-model-regex model) downcased))
                  llm-models))))

(defun llm-models-by-symbol (symbol)
  "Return the `llm-model' whose symbol is SYMBOL, or nil."
  (cl-find symbol llm-models :key #'llm-model-symbol))

(cl-defun llm-models-add (&key name symbol capabilities context-length regex)
  "Add a model to the front of `llm-models'.
NAME, SYMBOL, CAPABILITIES, CONTEXT-LENGTH and REGEX fill the
`llm-model' slots; REGEX defaults to the quoted downcased NAME."
  (push (make-llm-model :name name :symbol symbol :capabilities capabilities
                        :context-length context-length
                        :regex (or regex (regexp-quote (downcase name))))
        llm-models))

(provide 'llm-models)
;;; llm-models.el ends here
