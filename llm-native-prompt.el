;;; llm-native-prompt.el --- The canonical prompt the module builds request bodies from  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; Turns an `llm-chat-prompt' into llm-native's canonical prompt
;; (doc/PROMPT.md), changing the prompt as llm does: provider defaults
;; merged in, context and examples moved into a system interaction for the
;; providers that have one.

;;; Code:

(require 'llm-native-providers)            ; and cl-lib, subr-x, llm
(llm-native--compile-without-llm)
(require 'llm-native-tools)
(require 'llm-native-policy)

(defun llm-native--merge-defaults (provider prompt)
  "Merge PROVIDER's default chat settings into PROMPT.
As llm does (doc/providers.md, Conversation state), in a :before method
of `llm-provider-chat-request' that cannot be called alone."
  (when (llm-standard-chat-provider-p provider)
    (unless (llm-chat-prompt-temperature prompt)
      (setf (llm-chat-prompt-temperature prompt)
            (llm-standard-chat-provider-default-chat-temperature provider)))
    (unless (llm-chat-prompt-max-tokens prompt)
      (setf (llm-chat-prompt-max-tokens prompt)
            (llm-standard-chat-provider-default-chat-max-tokens provider)))
    (let ((params (llm-chat-prompt-non-standard-params prompt)))
      (dolist (default (llm-standard-chat-provider-default-chat-non-standard-params provider))
        (unless (assoc (car default) params)
          (setq params (append params (list default)))))
      (setf (llm-chat-prompt-non-standard-params prompt) params))))

(defun llm-native--move-context-to-system (provider prompt)
  "Move PROMPT's context and examples into a system interaction for PROVIDER.
llm's `llm-provider-utils-combine-to-system-prompt' does it; the context
and examples are then cleared in every case, so a reused prompt does not
repeat them (llm forgets to when a system interaction already exists)."
  ;; Most prompts have neither: nothing to do, nothing allocated.
  (when (or (llm-chat-prompt-context prompt) (llm-chat-prompt-examples prompt))
    (llm-provider-utils-combine-to-system-prompt prompt (llm-native--example-prelude provider))
    (setf (llm-chat-prompt-context prompt) nil
          (llm-chat-prompt-examples prompt) nil)))

(defun llm-native--media-json (media)
  "Return the canonical media part of the `llm-media' MEDIA."
  (let ((data (llm-media-data media)))
    (list (cons 'type "media")
          (cons 'mime_type (llm-media-mime-type media))
          (cons 'data (base64-encode-string
                       (if (multibyte-string-p data) (encode-coding-string data 'utf-8) data)
                       t)))))

(defun llm-native--content-json (content)
  "Return the canonical content of an interaction's CONTENT, or nil for none."
  (cond ((stringp content) content)
        ((llm-multipart-p content)
         (vconcat (mapcar (lambda (part)
                            (if (llm-media-p part) (llm-native--media-json part)
                              (list (cons 'type "text") (cons 'text (format "%s" part)))))
                          (llm-multipart-parts content))))
        ((null content) nil)
        (t (decode-coding-string (json-serialize (llm-native--jsonable content)) 'utf-8))))

(defun llm-native--tool-use-json (use)
  "Return the canonical entry of the tool-use struct USE."
  (append (when (llm-provider-utils-tool-use-id use)
            (list (cons 'id (llm-provider-utils-tool-use-id use))))
          (list (cons 'name (llm-provider-utils-tool-use-name use))
                (cons 'args (llm-native--json-object (llm-provider-utils-tool-use-args use))))
          (when (and (llm-gemini-tool-use-p use) (llm-gemini-tool-use-thought-signature use))
            (list (cons 'thought_signature (llm-gemini-tool-use-thought-signature use))))))

(defun llm-native--tool-uses-p (content)
  "Return non-nil when CONTENT is a non-empty list of tool-use structs."
  (and (consp content) (cl-every #'llm-provider-utils-tool-use-p content)))

(defun llm-native--interaction-json (interaction)
  "Return the canonical form of the `llm-chat-prompt-interaction' INTERACTION."
  (let* ((content (llm-chat-prompt-interaction-content interaction))
         (results (llm-chat-prompt-interaction-tool-results interaction))
         (multi-turn (llm-chat-prompt-interaction-multi-turn-plist interaction))
         (role (llm-chat-prompt-interaction-role interaction)))
    (append
     (list (cons 'role (if (or results (eq role 'tool-results)) "tool_results"
                         (symbol-name role))))
     (cond ((llm-native--tool-uses-p content)
            (list (cons 'tool_uses (vconcat (mapcar #'llm-native--tool-use-json content)))))
           (content (list (cons 'content (llm-native--content-json content)))))
     (when results
       (list (cons 'tool_results
                   (vconcat
                    (mapcar (lambda (result)
                              (append
                               (when (llm-chat-prompt-tool-result-call-id result)
                                 (list (cons 'call_id (llm-chat-prompt-tool-result-call-id result))))
                               (list (cons 'name (llm-chat-prompt-tool-result-tool-name result))
                                     (cons 'result (llm-native--tool-result-text
                                                    (llm-chat-prompt-tool-result-result result))))))
                            results)))))
     (when (llm-native--plist-p multi-turn)
       (list (cons 'multi_turn (llm-native--jsonable multi-turn)))))))

(defun llm-native--canonical-prompt (provider prompt dialect)
  "Return the canonical prompt alist of PROMPT for PROVIDER speaking DIALECT.
Mutates PROMPT as llm does (doc/providers.md, Conversation state):
provider defaults are merged in and, for system-role dialects, context
and examples move into a system interaction."
  (llm-native--merge-defaults provider prompt)
  (when (llm-native--provider-get provider :system-role)
    (llm-native--move-context-to-system provider prompt))
  (let* ((model (llm-native--chat-model provider))
         (reasoning (llm-chat-prompt-reasoning prompt))
         (format (llm-chat-prompt-response-format prompt))
         (tool-options (llm-chat-prompt-tool-options prompt))
         (tool-choice (and tool-options (llm-native--tool-choice tool-options)))
         (capabilities (llm-native--model-capabilities model))
         (max-tokens (or (llm-chat-prompt-max-tokens prompt)
                         (and (equal dialect "anthropic") (llm-native--claude-max-tokens model))))
         (system (unless (llm-native--provider-get provider :system-role)
                   (llm-provider-utils-get-system-prompt
                    prompt (llm-native--example-prelude provider))))
         (params (llm-chat-prompt-non-standard-params prompt))
         (reasoning-style (llm-native--provider-get provider :reasoning-style))
         (canonical-reasoning
          (and reasoning
               (cond (reasoning-style t)
                     ((member dialect '("openai-chat" "openai-responses"))
                      (llm-native--openai-reasoning-model-p model))
                     ((equal dialect "anthropic") (memq 'reasoning capabilities)))))
         (options (reverse (when-let ((extra (llm-native--provider-get provider :options)))
                             (funcall extra provider)))))
    (when (and (null reasoning) (member dialect '("openai-chat" "openai-responses"))
               (not reasoning-style)
               (llm-native--openai-reasoning-model-p model))
      ;; llm's default for models it sends reasoning settings to.
      (setq reasoning 'medium canonical-reasoning t))
    (when reasoning-style (push (cons 'reasoning_style reasoning-style) options))
    (pcase dialect
      ("anthropic"
       (when-let ((entry (llm-native--model-entry model)))
         (when (memq (llm-model-symbol entry) '(claude-4-6-opus claude-4-6-sonnet claude-4-7-opus))
           (push (cons 'anthropic_thinking "adaptive") options)
           ;; The dialect needs `none' to send thinking {type: disabled}.
           (when (eq reasoning 'none) (setq canonical-reasoning t)))))
      ("gemini"
       (when-let ((thinking (llm-native--gemini-thinking model reasoning)))
         (push (cons 'gemini_thinking thinking) options)))
      ("ollama"
       (let ((think (llm-native--ollama-think model reasoning)))
         (unless (eq think 'absent) (push (cons 'think think) options)))))
    (when (and (eq format 'json) (equal dialect "anthropic"))
      (setq format nil))
    (when (and format (member dialect '("openai-chat" "anthropic"))
               (not (memq 'json-response capabilities)))
      (setq format nil))
    (delq nil
          (list
           (when model (cons 'model model))
           (when (and system (not (string-empty-p system))) (cons 'system system))
           (cons 'interactions
                 (vconcat (mapcar #'llm-native--interaction-json
                                  (llm-chat-prompt-interactions prompt))))
           (when (llm-chat-prompt-temperature prompt)
             (cons 'temperature (float (llm-chat-prompt-temperature prompt))))
           (when max-tokens (cons 'max_tokens max-tokens))
           (when format
             (cons 'response_format (if (eq format 'json) "json" (llm-native--jsonable format))))
           (when canonical-reasoning (cons 'reasoning (symbol-name reasoning)))
           (when (llm-chat-prompt-tools prompt)
             (cons 'tools (vconcat (mapcar #'llm-native--tool-schema
                                           (llm-chat-prompt-tools prompt)))))
           (when tool-choice (cons 'tool_choice tool-choice))
           (when params (cons 'non_standard (llm-native--jsonable params)))
           (when options (cons 'options (nreverse options)))))))

(defun llm-native--serialize (object)
  "Return OBJECT serialized to a JSON string.
A value JSON cannot carry signals `llm-invalid-argument'."
  (let ((json (condition-case err
                  (json-serialize object)
                ((wrong-type-argument json-error)
                 (signal 'llm-invalid-argument
                         (list (format "Cannot send as JSON: %s"
                                       (error-message-string err))))))))
    (if (multibyte-string-p json) json (decode-coding-string json 'utf-8))))

(provide 'llm-native-prompt)
;;; llm-native-prompt.el ends here
