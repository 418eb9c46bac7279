;;; llm-native-policy.el --- Model policy of the llm layer: what llm sends per model  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; What llm decides from a model's name and its registry entry
;; (llm-models.el): capabilities, reasoning settings per provider, Claude's
;; default max_tokens.  Registry look-ups are remembered per name.

;;; Code:

(require 'llm-native-providers)            ; and cl-lib, subr-x, llm
(llm-native--compile-without-llm)

(defvar llm-models)                     ; llm-models.el's registry

(defvar llm-native--model-cache nil
  "(MODELS . TABLE): `llm-models-match' results by model name, for MODELS.
MODELS is the `llm-models' list the table was filled from; adding a
model (`llm-models-add', `push', `setq') makes a new list and empties it.")

(defun llm-native--model-entry (model)
  "Return the registry entry of the model named MODEL, or nil.
The same as `llm-models-match', remembered per name: the registry is a
list of over a hundred regexps, more than Emacs's cache of compiled
regexps holds, so every lookup would compile them all again."
  (when (stringp model)
    (let ((cache llm-native--model-cache))
      (unless (and (eq (car cache) llm-models) (< (hash-table-count (cdr cache)) 64))
        (setq cache (cons llm-models (make-hash-table :test 'equal))
              llm-native--model-cache cache))
      (let ((entry (gethash model (cdr cache) 'unknown)))
        (if (eq entry 'unknown)
            (puthash model (llm-models-match model) (cdr cache))
          entry)))))

(defun llm-native--model-capabilities (model)
  "Return the registry capabilities of the model named MODEL."
  (when-let ((entry (llm-native--model-entry model)))
    (llm-model-capabilities entry)))

(defun llm-native--openai-reasoning-model-p (model)
  "Return non-nil when llm would send reasoning settings for the OpenAI MODEL.
That is a registry model with `reasoning' named gpt-N.M with N >= 6,
or N >= 5 and M >= 2."
  (and (memq 'reasoning (llm-native--model-capabilities model))
       (string-match "gpt-\\([0-9]+\\)\\(?:\\.\\([0-9]+\\)\\)?" model)
       (let ((major (string-to-number (match-string 1 model)))
             (minor (if (match-string 2 model) (string-to-number (match-string 2 model)) 0)))
         (or (>= major 6) (and (>= major 5) (>= minor 2))))))

(defun llm-native--claude-max-tokens (model)
  "Return llm's default max_tokens for the Claude MODEL."
  (cond ((string-match-p "opus-4-0" model) 32000)
        ((or (string-match-p "4" model) (string-match-p "3-7" model)) 64000)
        ((string-match-p "opus" model) 4096)
        (t 8192)))

(defun llm-native--gemini-thinking (model reasoning)
  "Return the gemini_thinking option for MODEL and REASONING, or nil.
As llm does (doc/providers.md, Gemini and Vertex): registry models
with `reasoning' only."
  (let* ((entry (llm-native--model-entry model))
         (symbol (and entry (llm-model-symbol entry))))
    (when (and entry (memq 'reasoning (llm-model-capabilities entry)))
      (cond
       ((null reasoning) (make-hash-table))
       ((and (eq reasoning 'none) (memq symbol '(gemini-2.5-pro gemini-3-pro)))
        (display-warning 'llm-native
                         (format "Model %s cannot turn reasoning off; ignoring `none'" model))
        (make-hash-table))
       ((string-match-p "3-" (symbol-name symbol))
        (list (cons 'thinking_level
                    (pcase reasoning
                      ('none (if (eq symbol 'gemini-3-1-pro) "low" "minimal"))
                      ('light "low")
                      (_ "high")))))
       (t (let ((max (if (eq symbol 'gemini-2.5-pro) 32768 24576)))
            (list (cons 'thinkingBudget
                        (pcase reasoning
                          ('none 0) ('light 1024) ('medium (/ max 2)) (_ max))))))))))

(defun llm-native--ollama-think (model reasoning)
  "Return the Ollama think option for MODEL and REASONING, or `absent'."
  (if (not (memq 'reasoning (llm-native--model-capabilities model)))
      'absent
    (if (string-match-p "gpt-oss" model)
        (pcase reasoning
          ('none :false) ('light "low") ('medium "medium") ('maximum "high") (_ 'absent))
      (if (eq reasoning 'none) :false t))))


(provide 'llm-native-policy)
;;; llm-native-policy.el ends here
