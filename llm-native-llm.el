;;; llm-native-llm.el --- The llm API served by llm-native's engine  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; Methods that make `llm-chat', `llm-chat-async', `llm-chat-streaming' and
;; the embedding entry points of llm's provider types run on the native
;; engine (lisp/llm-native-runtime.el) while `llm-native-mode' is on.  The
;; same methods serve the real `llm' package and llm-native's own compat
;; implementation of it.
;;
;; Routing uses a method specializer of its own, `(llm-native)', backed by a
;; `cl-generic' generalizer that matches a provider only while the mode is on
;; and the provider's type is one the engine serves.  Its priority is above
;; struct types, so the native primary method wins over llm's standard
;; provider methods, while llm's own :around (logging) and :before (non-free
;; warnings) methods keep running around it.  With the mode off the
;; specializer matches nothing and llm's own methods run as before.
;;
;; Every provider gets its URL and headers from the functions below, computed
;; from the struct slots, so both llm implementations behave the same.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'url-util)

;; llm-native does not depend on llm: llm-native.el loads this file once llm
;; is loaded.  package.el compiles it when llm-native is installed, perhaps
;; where llm is not; then the requires below may fail at compile time, and
;; the llm struct slots this file sets get setters that find the slot at run
;; time (with llm present, the compiler inlines llm's own accessors).
(unless (featurep 'llm) (require 'llm))
(eval-and-compile
  (defconst llm-native--llm-features
    '(llm llm-provider-utils llm-models llm-openai llm-azure llm-github llm-deepseek
          llm-gpt4all llm-llamacpp llm-ollama llm-claude llm-vertex llm-gemini)
    "The files of the llm package this integration uses.")
  (defmacro llm-native--require-llm ()
    "Require `llm-native--llm-features'; without llm, only try (at compile time)."
    (let ((try (not (require 'llm nil t))))
      `(progn ,@(mapcar (lambda (feature) `(require ',feature nil ,try))
                        llm-native--llm-features)))))
(llm-native--require-llm)
(eval-when-compile
  (unless (featurep 'llm)
    ;; Nothing of llm is known: warnings about it would only be noise.
    (setq byte-compile-warnings '(not unresolved))
    (pcase-dolist (`(,accessor ,type ,slot)
                   '((llm-vertex-key llm-vertex key)
                     (llm-vertex-key-gentime llm-vertex key-gentime)
                     (llm-chat-prompt-temperature llm-chat-prompt temperature)
                     (llm-chat-prompt-max-tokens llm-chat-prompt max-tokens)
                     (llm-chat-prompt-non-standard-params llm-chat-prompt non-standard-params)
                     (llm-chat-prompt-context llm-chat-prompt context)
                     (llm-chat-prompt-examples llm-chat-prompt examples)
                     (llm-chat-prompt-interactions llm-chat-prompt interactions)
                     (llm-chat-prompt-interaction-content llm-chat-prompt-interaction content)))
      (function-put accessor 'gv-expander
                    (lambda (do object)
                      (gv-letplace (getter setter)
                          `(aref ,object (cl-struct-slot-offset ',type ',slot))
                        (funcall do getter setter)))))))
(require 'llm-native-runtime)
(require 'llm-native-tools)

(defvar llm-openai-example-prelude)
(defvar llm-ollama-example-prelude)
(defvar llm-vertex-example-prelude)
(defvar llm-llamacpp-example-prelude)
(defvar llm-request-plz-connect-timeout)
(defvar llm-request-plz-timeout)

(defcustom llm-native-url-overrides nil
  "Alist of (PROVIDER-TYPE . BASE-URL) redirecting providers.
PROVIDER-TYPE is a provider struct type such as `llm-claude'; the
first entry whose type the provider belongs to wins.  BASE-URL
replaces the base of the URL the provider's llm methods build: the
`url' slot for the OpenAI-compatible family when the URL starts with
it, else the URL's SCHEME://HOST:PORT, e.g. \"https://api.anthropic.com\"
for Claude.  The path after it stays the same, e.g. BASE-URL/v1/messages
for Claude."
  :type '(alist :key-type symbol :value-type string)
  :group 'llm-native)

;;;; The mode and the routing specializer

;;;###autoload
(define-minor-mode llm-native-mode
  "Serve the `llm' package's providers with llm-native's engine.
While on, chat, streaming chat and embeddings of the OpenAI,
OpenAI-compatible (and its family), Ollama, Claude, Gemini and
Vertex providers run on the native engine; while off, llm's own
implementation runs."
  :global t
  :group 'llm-native)

(defun llm-native--served-p (provider)
  "Return non-nil when the native engine serves PROVIDER's type."
  (and (recordp provider)
       (or (llm-openai-p provider)
           (llm-ollama-p provider)
           (llm-claude-p provider)
           (llm-gemini-p provider)
           (llm-vertex-p provider))))

(defun llm-native--routing-tag (provider)
  "Return PROVIDER's dispatch tag: a symbol for its type when routed, else nil.
cl-generic caches a generic's methods by the first non-nil tag, so
the tag differs per type (a subclass's own methods, `cl-call-next-method'
to another type's method) and from the struct type's own tag (the
mode off)."
  (and llm-native-mode (llm-native--served-p provider)
       (let ((type (type-of provider)))
         (or (get type 'llm-native--tag)
             (put type 'llm-native--tag (make-symbol (format "llm-native %s" type)))))))

(cl-generic-define-generalizer llm-native--generalizer
  ;; Above struct types (50) so that the native method is the primary one.
  70
  (lambda (name &rest _) `(llm-native--routing-tag ,name))
  (lambda (tag &rest _) (and tag '((llm-native)))))

(cl-defmethod cl-generic-generalizers :extra "llm-native" (specializer)
  "Support the specializer `(llm-native)': providers routed to llm-native."
  (if (equal specializer '(llm-native))
      (list llm-native--generalizer)
    (cl-call-next-method)))

;;;; Keys, URLs and headers
;;
;; URL, headers and key come from llm's own generic functions
;; (`llm-provider-request-prelude', `llm-provider-chat-url',
;; `llm-provider-chat-streaming-url', `llm-provider-embedding-url',
;; `llm-provider-headers', `llm-openai--url'), each called once per request,
;; so a user's subclass or method is served with its own values.  Native
;; knowledge is kept where llm has none: the Gemini key moves from the query
;; string into a header, Gemini batch embeddings, model list URLs llm builds
;; from constants, and `llm-native-url-overrides'.

(defun llm-native--key (key)
  "Return the secret of KEY, or nil when there is none.
KEY is a string or a function returning one; surrounding whitespace
is trimmed, and an empty secret counts as none."
  (let ((value (if (functionp key) (funcall key) key)))
    (when (stringp value)
      (let ((trimmed (string-trim value)))
        (and (not (string-empty-p trimmed)) trimmed)))))

(defun llm-native--require-key (provider key)
  "Return the secret of KEY, or signal `llm-provider-unconfigured' for PROVIDER."
  (or (llm-native--key key)
      (signal 'llm-provider-unconfigured
              (list (format "No API key set for the %s provider"
                            (llm-native--type-label provider))))))

(defun llm-native--type-label (provider)
  "Return a short name of PROVIDER's type for messages."
  (string-remove-prefix "llm-" (symbol-name (type-of provider))))

(defun llm-native--slash (url)
  "Return URL with a trailing slash."
  (if (string-suffix-p "/" url) url (concat url "/")))

(defun llm-native--chat-model (provider)
  "Return PROVIDER's chat model name (the first one of an OpenRouter list)."
  (let ((model (cond ((llm-openai-p provider) (llm-openai-chat-model provider))
                     ((llm-ollama-p provider) (llm-ollama-chat-model provider))
                     ((llm-claude-p provider) (llm-claude-chat-model provider))
                     ((llm-gemini-p provider) (llm-gemini-chat-model provider))
                     ((llm-vertex-p provider) (llm-vertex-chat-model provider)))))
    (if (consp model) (car model) model)))

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

(defun llm-native--dialect (provider)
  "Return the wire dialect of PROVIDER's type, or nil when it is not served."
  (cond ((llm-openai-compatible-p provider) "openai-chat")
        ((llm-openai-p provider) "openai-responses")
        ((llm-ollama-p provider) "ollama")
        ((llm-claude-p provider) "anthropic")
        ((or (llm-gemini-p provider) (llm-vertex-p provider)) "gemini")))

(defun llm-native--provider-value (provider what function &rest args)
  "Return FUNCTION applied to PROVIDER and ARGS, an llm method giving WHAT.
An error outside llm's own tree (a nil slot in a URL, say) becomes
`llm-provider-unconfigured' naming WHAT."
  (condition-case err
      (apply function provider args)
    (error
     (if (memq 'llm-error (get (car err) 'error-conditions))
         (signal (car err) (cdr err))
       (signal 'llm-provider-unconfigured
               (list (format "Cannot build the %s of the %s provider: %s"
                             what (llm-native--type-label provider)
                             (error-message-string err))))))))

(defun llm-native--redirect (provider url)
  "Return URL with its base replaced from `llm-native-url-overrides'.
PROVIDER's type picks the entry.  The base is the `url' slot of the
OpenAI-compatible family when URL starts with it, else URL's
SCHEME://HOST[:PORT]."
  (let ((override (and llm-native-url-overrides
                       (cdr (cl-find-if (lambda (entry) (cl-typep provider (car entry)))
                                        llm-native-url-overrides)))))
    (if (null override)
        url
      (let* ((slot (and (llm-openai-compatible-p provider)
                        (llm-openai-compatible-url provider)))
             (slot (and (stringp slot) (string-remove-suffix "/" slot)))
             (end (cond ((and slot (not (string-empty-p slot)) (string-prefix-p slot url))
                         (length slot))
                        ((string-match "\\`[A-Za-z][-A-Za-z0-9+.]*://[^/?#]*" url)
                         (match-end 0)))))
        (if end
            (concat (llm-native--slash override) (string-remove-prefix "/" (substring url end)))
          url)))))

(defun llm-native--clean-header-p (header)
  "Return non-nil when HEADER can be sent as it is.
That is a (NAME . VALUE) of strings whose value is printable ASCII
without surrounding whitespace and not a bare \"Bearer\"."
  (and (consp header) (stringp (car header))
       (let ((value (cdr header)))
         (and (stringp value)
              (string-match-p "\\`[!-~]\\(?:[ -~]*[!-~]\\)?\\'" value)
              (not (string-match-p "\\`Bearer\\'" value))))))

(defun llm-native--clean-headers (headers)
  "Return the alist HEADERS ready to send.
Values are trimmed; nil or empty values, and a bare \"Bearer\" left
by a missing key, are dropped, as llm-native never sends an empty
credential.  The usual headers are returned as they are."
  (if (cl-every #'llm-native--clean-header-p headers)
      headers
    (let ((result nil))
      (dolist (header headers (nreverse result))
        (when (and (consp header) (stringp (car header)))
          (let ((value (cdr header)))
            (when (numberp value) (setq value (number-to-string value)))
            (when (stringp value)
              (unless (multibyte-string-p value)
                ;; llm encodes keys to UTF-8 bytes.
                (setq value (decode-coding-string value 'utf-8)))
              (setq value (string-trim value))
              (when (string-match "\\`Bearer[ \t]*" value)
                (setq value (and (< (match-end 0) (length value))
                                 (concat "Bearer " (substring value (match-end 0))))))
              (when (and value (not (string-empty-p value)))
                (push (cons (car header) value) result)))))))))

(defun llm-native--gemini-key-to-header (provider url headers)
  "Move the Gemini PROVIDER's key out of URL into HEADERS.
Return (URL . HEADERS).  llm sends the key in the query string; a
header keeps it out of URLs shown in messages and logs."
  (let ((from-url nil))
    (when (string-match "\\([?&]\\)key=\\([^&#]*\\)\\(&?\\)" url)
      (setq from-url (match-string 2 url)
            url (concat (substring url 0 (match-beginning 0))
                        (if (< (match-beginning 3) (match-end 3)) (match-string 1 url) "")
                        (substring url (match-end 0)))))
    (let ((secret (or (llm-native--key (llm-gemini-key provider))
                      (and from-url (llm-native--key (url-unhex-string from-url))))))
      (unless secret
        (llm-native--require-key provider nil))
      (cons url (append headers (list (cons "x-goog-api-key" secret)))))))

(defun llm-native--endpoint (provider kind)
  "Return (:dialect D :url U :headers H) for PROVIDER.
KIND is `chat', `stream', `embed', `batch-embed' or `models'.  Runs
llm's request prelude (key checks, the Vertex token) first.  Signals
`llm-provider-unconfigured' when a required key or the URL is
missing, `llm-not-supported' for a type llm-native does not serve."
  (let ((dialect (or (llm-native--dialect provider)
                     (signal 'llm-not-supported
                             (list (format "llm-native does not serve %s"
                                           (type-of provider)))))))
    (llm-provider-request-prelude provider)
    (let ((url (pcase kind
                 ('chat (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url))
                 ('stream (llm-native--provider-value provider "chat URL"
                                                      #'llm-provider-chat-streaming-url))
                 ('models (llm-native--models-url provider))
                 (_ (llm-native--provider-value provider "embedding URL"
                                                #'llm-provider-embedding-url
                                                (eq kind 'batch-embed)))))
          (headers (llm-native--clean-headers
                    (llm-native--provider-value provider "headers" #'llm-provider-headers))))
      (cond
       ((llm-gemini-p provider)
        (when (eq kind 'batch-embed)
          ;; llm has no batch embeddings for Gemini; its endpoint is a sibling.
          (setq url (string-replace ":embedContent" ":batchEmbedContents" url)))
        (let ((moved (llm-native--gemini-key-to-header provider url headers)))
          (setq url (car moved) headers (cdr moved))))
       ((and (llm-openai-p provider) (not (llm-openai-compatible-p provider)))
        (llm-native--require-key provider (llm-openai-key provider)))
       ((llm-claude-p provider)
        (llm-native--require-key provider (llm-claude-key provider)))
       ;; gcloud printed nothing: no request without a token.
       ((llm-vertex-p provider)
        (llm-native--require-key provider (llm-vertex-key provider))))
      (setq url (llm-native--redirect provider url))
      (unless (and (stringp url) (string-match-p "\\`https?://[^/?#]" url))
        (signal 'llm-provider-unconfigured
                (list (format "The %s provider has no http(s) URL: %S"
                              (llm-native--type-label provider) url))))
      (list :dialect dialect :url url :headers headers))))

;;;; Model lists

(defun llm-native--models-format (provider)
  "Return (LIST-KEY . NAME-KEY) of PROVIDER's model list, nil if llm has none.
The answer holds an array under LIST-KEY whose objects name a model
under NAME-KEY."
  (cond ((llm-openai-p provider) '(data . id))
        ((llm-claude-p provider) '(data . id))
        ((llm-gemini-p provider) '(models . name))
        ((llm-ollama-p provider) '(models . name))))

(defun llm-native--derive-url (url regexp replacement default)
  "Return URL without its query, REGEXP replaced by REPLACEMENT; else DEFAULT.
DEFAULT is used when REGEXP does not match."
  (let ((bare (car (split-string url "[?#]"))))
    (if (string-match regexp bare)
        (replace-match replacement t t bare)
      default)))

(defun llm-native--models-url (provider)
  "Return the URL listing PROVIDER's models, where llm lists them.
The OpenAI family uses llm's `llm-openai--url'; the others are built
from the chat URL, so a subclass's own server is asked, and match the
constant URLs llm uses for llm's own types."
  (cond
   ((llm-openai-p provider)
    (condition-case nil
        (llm-openai--url provider "models")
      ;; GPT4All and llama.cpp have no `url' slot: their server's OpenAI root.
      (error (llm-native--derive-url
              (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url)
              "chat/completions\\'" "models" nil))))
   ((llm-claude-p provider)
    (llm-native--derive-url
     (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url)
     "messages\\'" "models" "https://api.anthropic.com/v1/models"))
   ((llm-gemini-p provider)
    (llm-native--derive-url
     (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url)
     "/models/[^/]*\\'" "/models/" "https://generativelanguage.googleapis.com/v1beta/models/"))
   ((llm-ollama-p provider)
    (llm-native--derive-url
     (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url)
     "/api/chat\\'" "/api/tags"
     (format "%s://%s:%s/api/tags" (llm-ollama-scheme provider) (llm-ollama-host provider)
             (llm-ollama-port provider))))))

(defun llm-native--signal-llm-error (symbol message info)
  "Signal the llm error for the engine error SYMBOL with MESSAGE and INFO.
The provider's own error text in INFO's body is the message when there is one."
  (signal (llm-native--llm-error-symbol symbol info)
          (list (or (llm-native--body-error-text (plist-get info :body)) message))))

(cl-defmethod llm-models ((provider (llm-native)))
  "Return the names of the models PROVIDER's server lists, asked natively.
Types llm lists no models for keep llm's own method."
  (let ((format (llm-native--models-format provider)))
    (if (null format)
        (cl-call-next-method)
      (let* ((endpoint (llm-native--endpoint provider 'models))
             (response
              (condition-case err
                  (llm-native-request-sync
                   :url (plist-get endpoint :url) :method "GET"
                   :headers (plist-get endpoint :headers) :format 'json
                   :connect-timeout (if (boundp 'llm-request-plz-connect-timeout)
                                        llm-request-plz-connect-timeout
                                      llm-native-connect-timeout)
                   :timeout (if (boundp 'llm-request-plz-timeout)
                                llm-request-plz-timeout
                              llm-native-timeout))
                (llm-native-error
                 (llm-native--signal-llm-error (car err) (cadr err) (cddr err)))))
             (object (car (plist-get response :records)))
             (models (and (consp object) (alist-get (car format) object))))
        (unless (vectorp models)
          (signal 'llm-request-error
                  (list (format "No model list in the answer of %s"
                                (car (split-string (plist-get endpoint :url) "[?#]"))))))
        (mapcar (lambda (model) (and (consp model) (alist-get (cdr format) model)))
                models)))))

;;;; The canonical prompt

(defun llm-native--system-role-p (dialect)
  "Return non-nil when DIALECT's providers keep context as a system interaction."
  (member dialect '("openai-chat" "ollama" "gemini")))

(defun llm-native--example-prelude (provider)
  "Return the example prelude for PROVIDER, as llm has it; nil for the default."
  (cond ((llm-llamacpp-p provider)
         (and (boundp 'llm-llamacpp-example-prelude) llm-llamacpp-example-prelude))
        ((llm-openai-compatible-p provider)
         (if (boundp 'llm-openai-example-prelude) llm-openai-example-prelude
           "Examples of how you should respond follow."))
        ((llm-ollama-p provider)
         (if (boundp 'llm-ollama-example-prelude) llm-ollama-example-prelude
           "Examples of how you should respond follow."))
        ((or (llm-gemini-p provider) (llm-vertex-p provider))
         (if (boundp 'llm-vertex-example-prelude) llm-vertex-example-prelude
           "Examples of how you should respond follow."))))

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
  (llm-provider-utils-combine-to-system-prompt prompt (llm-native--example-prelude provider))
  (setf (llm-chat-prompt-context prompt) nil
        (llm-chat-prompt-examples prompt) nil))

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

(defun llm-native--canonical-prompt (provider prompt dialect)
  "Return the canonical prompt alist of PROMPT for PROVIDER speaking DIALECT.
Mutates PROMPT as llm does (doc/providers.md, Conversation state):
provider defaults are merged in and, for system-role dialects, context
and examples move into a system interaction."
  (llm-native--merge-defaults provider prompt)
  (when (llm-native--system-role-p dialect)
    (llm-native--move-context-to-system provider prompt))
  (let* ((model (llm-native--chat-model provider))
         (reasoning (llm-chat-prompt-reasoning prompt))
         (format (llm-chat-prompt-response-format prompt))
         (tool-options (llm-chat-prompt-tool-options prompt))
         (tool-choice (and tool-options (llm-native--tool-choice tool-options)))
         (capabilities (llm-native--model-capabilities model))
         (max-tokens (or (llm-chat-prompt-max-tokens prompt)
                         (and (equal dialect "anthropic") (llm-native--claude-max-tokens model))))
         (system (unless (llm-native--system-role-p dialect)
                   (llm-provider-utils-get-system-prompt
                    prompt (llm-native--example-prelude provider))))
         (params (llm-chat-prompt-non-standard-params prompt))
         (canonical-reasoning
          (and reasoning
               (cond ((llm-deepseek-p provider) t)
                     ((member dialect '("openai-chat" "openai-responses"))
                      (llm-native--openai-reasoning-model-p model))
                     ((equal dialect "anthropic") (memq 'reasoning capabilities)))))
         (options nil))
    (when (and (null reasoning) (member dialect '("openai-chat" "openai-responses"))
               (not (llm-deepseek-p provider))
               (llm-native--openai-reasoning-model-p model))
      ;; llm's default for models it sends reasoning settings to.
      (setq reasoning 'medium canonical-reasoning t))
    (pcase dialect
      ("openai-chat"
       (when (llm-deepseek-p provider) (push (cons 'reasoning_style "deepseek") options))
       (let ((models (and (llm-openrouter-p provider) (llm-openai-chat-model provider))))
         (when (consp models) (push (cons 'models (vconcat models)) options))))
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

;;;; Results

(cl-defstruct (llm-native--chat-call (:constructor llm-native--make-chat-call))
  "The state of one llm chat call on the native engine."
  provider prompt dialect multi-output buffer
  partial-callback response-callback error-callback
  handle last-partial finished)

(defvar llm-native--cancelled-handles (make-hash-table :test 'eq :weakness 'key)
  "Handles cancelled through `llm-cancel-request'; their calls stay silent.")

(defun llm-native--chat-call-live-p (call)
  "Return non-nil when CALL may still run callbacks."
  (not (or (llm-native--chat-call-finished call)
           (gethash (llm-native--chat-call-handle call) llm-native--cancelled-handles))))

(defun llm-native--redact (call message)
  "Return MESSAGE with the secrets of CALL's request masked.
They are the runtime's for the request (credential headers, the URL's
userinfo and query), picked only when a message needs them."
  (let ((message (if (stringp message) message (format "%s" message)))
        (handle (llm-native--chat-call-handle call)))
    (if handle (llm-native--scrub handle message) message)))

(defun llm-native--llm-error-symbol (symbol info)
  "Return the llm error symbol for the engine error SYMBOL with INFO."
  (pcase symbol
    ('llm-native-http-error
     (pcase (plist-get info :status)
       ((or 401 403) 'llm-request-authentication-error)
       (400 'llm-request-bad-request)
       (_ 'llm-request-error)))
    ('llm-native-timeout 'llm-request-timeout)
    ;; Cancelled by someone other than its owner (the request list): say so.
    ('llm-native-cancelled 'llm-native-cancelled)
    (_ 'llm-request-error)))

;; For llm callers, `llm-native-cancelled' is one of llm's request errors too.
(unless (memq 'llm-request-error (get 'llm-native-cancelled 'error-conditions))
  (put 'llm-native-cancelled 'error-conditions
       (append (remq 'error (get 'llm-native-cancelled 'error-conditions))
               (get 'llm-request-error 'error-conditions))))

(defun llm-native--fail (call symbol message)
  "Finish CALL by passing SYMBOL and MESSAGE to its error callback."
  (when (llm-native--chat-call-live-p call)
    (setf (llm-native--chat-call-finished call) t)
    (when-let ((callback (llm-native--chat-call-error-callback call)))
      (llm-native--in-buffer (llm-native--chat-call-buffer call)
                             callback symbol (llm-native--redact call message)))))

(defun llm-native--respond (call value)
  "Finish CALL by passing VALUE to its response callback."
  (when (llm-native--chat-call-live-p call)
    (setf (llm-native--chat-call-finished call) t)
    (when-let ((callback (llm-native--chat-call-response-callback call)))
      (llm-native--in-buffer (llm-native--chat-call-buffer call) callback value))))

(defun llm-native--on-progress (call text reasoning)
  "Deliver CALL's accumulated TEXT and REASONING to its partial callback."
  (let ((callback (llm-native--chat-call-partial-callback call)))
    (when (and callback (llm-native--chat-call-live-p call))
      (if (llm-native--chat-call-multi-output call)
          (let ((value (append (unless (equal text "") (list :text text))
                               (unless (equal reasoning "") (list :reasoning reasoning)))))
            (when (and value (not (equal value (llm-native--chat-call-last-partial call))))
              (setf (llm-native--chat-call-last-partial call) value)
              (funcall callback value)))
        (unless (or (equal text "") (equal text (llm-native--chat-call-last-partial call)))
          (setf (llm-native--chat-call-last-partial call) text)
          (funcall callback text))))))

(defun llm-native--append (prompt interaction)
  "Append INTERACTION to PROMPT's history."
  (setf (llm-chat-prompt-interactions prompt)
        (append (llm-chat-prompt-interactions prompt) (list interaction))))

(defun llm-native--tool-use-structs (call tool-calls)
  "Return the tool-use structs for the engine's TOOL-CALLS of CALL."
  (mapcar (lambda (tool-call)
            (let ((id (plist-get tool-call :id))
                  (name (plist-get tool-call :name))
                  (args (plist-get tool-call :args)))
              (setq id (and (stringp id) (not (string-empty-p id)) id))
              (if (equal (llm-native--chat-call-dialect call) "gemini")
                  (make-llm-gemini-tool-use
                   :id id :name name :args args
                   :thought-signature (alist-get 'thought_signature
                                                 (plist-get tool-call :extra)))
                (make-llm-provider-utils-tool-use :id id :name name :args args))))
          tool-calls))

(defun llm-native--multi-output (text reasoning uses result &optional tool-results)
  "Return the sanitized multi-output plist.
TEXT, REASONING, the tool-use structs USES, the engine RESULT (for
token counts) and the TOOL-RESULTS alist; nil values and, when tools
ran, empty text are left out."
  (let ((plist nil))
    (when (and text (not (and uses (equal text ""))))
      (setq plist (list :text text)))
    (when (and reasoning (not (equal reasoning "")))
      (setq plist (append plist (list :reasoning reasoning))))
    (when uses
      (setq plist (append plist
                          (list :tool-uses
                                (mapcar (lambda (use)
                                          (list :name (llm-provider-utils-tool-use-name use)
                                                :args (llm-provider-utils-tool-use-args use)))
                                        uses)))))
    (when tool-results (setq plist (append plist (list :tool-results tool-results))))
    (dolist (key '(:input-tokens :output-tokens))
      (when-let ((n (plist-get result key)))
        (setq plist (append plist (list key n)))))
    plist))

(defun llm-native--on-done (call result)
  "Record the engine RESULT of CALL in its prompt, run tools, and respond."
  (when (llm-native--chat-call-live-p call)
    (let* ((prompt (llm-native--chat-call-prompt call))
           (text (plist-get result :text))
           (reasoning (plist-get result :reasoning))
           (multi-turn (plist-get result :multi-turn))
           (uses (llm-native--tool-use-structs call (plist-get result :tool-calls))))
      (when (and text (not (string-empty-p text)))
        (llm-native--append prompt (make-llm-chat-prompt-interaction
                                    :role 'assistant :content text
                                    :multi-turn-plist multi-turn)))
      (if (null uses)
          (llm-native--respond call (if (llm-native--chat-call-multi-output call)
                                        (llm-native--multi-output text reasoning nil result)
                                      text))
        ;; Reasoning state belongs to the tool-call turn when there was no text.
        (llm-native--append prompt (make-llm-chat-prompt-interaction
                                    :role 'assistant :content uses
                                    :multi-turn-plist (unless (and text (not (string-empty-p text)))
                                                        multi-turn)))
        (llm-native--run-tools
         (llm-chat-prompt-tools prompt) uses (llm-native--chat-call-buffer call)
         (lambda (results alist)
           (when (llm-native--chat-call-live-p call)
             (llm-native--append prompt (make-llm-chat-prompt-interaction
                                         :role (if (llm-claude-p (llm-native--chat-call-provider call))
                                                   'user 'tool-results)
                                         :tool-results results))
             (llm-native--respond call (if (llm-native--chat-call-multi-output call)
                                           (llm-native--multi-output text reasoning uses result alist)
                                         alist))))
         (lambda (symbol message) (llm-native--fail call symbol message)))))))

;;;; Chat entry points

(defmacro llm-native--with-llm-errors (&rest body)
  "Run BODY, turning llm-native's own errors into llm's.
What the provider's protocol cannot carry (`llm-native-unsupported': a
PDF to an OpenAI-compatible server, say) is `llm-not-supported', as in
llm; another request llm-native cannot build (`llm-native-invalid-spec')
is `llm-invalid-argument'; any other `llm-native-error' (the module
missing, say) is `llm-error'.  Clients' `llm-error' handlers see them."
  (declare (indent 0) (debug t))
  `(condition-case err
       (progn ,@body)
     (llm-native-unsupported
      (signal 'llm-not-supported (list (error-message-string err))))
     (llm-native-invalid-spec
      (signal 'llm-invalid-argument (list (error-message-string err))))
     (llm-native-error
      (signal 'llm-error (list (error-message-string err))))))

(defun llm-native--serve-chat (provider prompt streaming partial-callback
                                        response-callback error-callback multi-output)
  "Start a chat of PROVIDER on PROMPT and return the request handle.
STREAMING selects a streamed response.  PARTIAL-CALLBACK,
RESPONSE-CALLBACK and ERROR-CALLBACK follow llm's contracts;
MULTI-OUTPUT selects plist results."
  (let* ((endpoint (llm-native--endpoint provider (if streaming 'stream 'chat)))
         (dialect (plist-get endpoint :dialect))
         (call (llm-native--make-chat-call
                :provider provider :prompt prompt :dialect dialect
                :multi-output multi-output :buffer (current-buffer)
                :partial-callback partial-callback :response-callback response-callback
                :error-callback error-callback))
         (handle (llm-native--with-llm-errors
                   ;; The module builds the body from the canonical prompt in one pass.
                   (llm-native--chat-request
                    :url (plist-get endpoint :url)
                    :headers (plist-get endpoint :headers)
                    :dialect dialect
                    :prompt (llm-native--serialize
                             (llm-native--canonical-prompt provider prompt dialect))
                    :streaming streaming
                    ;; llm's own timeout settings apply when the llm package set them.
                    :connect-timeout (if (boundp 'llm-request-plz-connect-timeout)
                                         llm-request-plz-connect-timeout
                                       llm-native-connect-timeout)
                    :timeout (if (boundp 'llm-request-plz-timeout)
                                 llm-request-plz-timeout
                               llm-native-timeout)
                    :on-progress (lambda (text reasoning)
                                   (llm-native--on-progress call text reasoning))
                    :on-done (lambda (result)
                               ;; A result the llm layer cannot use (e.g. tool
                               ;; calls of the wrong shape) fails the call,
                               ;; rather than leave a synchronous `llm-chat' waiting.
                               (condition-case err
                                   (llm-native--on-done call result)
                                 (error
                                  (llm-native--fail call 'llm-request-error
                                                    (error-message-string err))
                                  (signal (car err) (cdr err)))))
                    :on-error (lambda (symbol message info)
                                (llm-native--fail call (llm-native--llm-error-symbol symbol info)
                                                  message))))))
    (setf (llm-native--chat-call-handle call) handle)
    handle))

(defun llm-native--sync (start)
  "Run the request that START begins and return its result, waiting for it.
START is called with a response callback and an error callback and
returns a handle.  Errors are signalled as (SYMBOL MESSAGE).
\\[keyboard-quit] cancels the request."
  (let* ((done nil) (value nil) (failure nil)
         (handle (funcall start
                          (lambda (result) (setq done t value result))
                          (lambda (symbol message) (setq done t failure (list symbol message))))))
    (unwind-protect
        (progn
          (llm-native--wait handle)
          ;; Async tools may still be running after the HTTP request finished.
          (while (not done) (accept-process-output nil 0.05)))
      (unless done
        (puthash handle t llm-native--cancelled-handles)
        (llm-native-cancel handle)))
    (when failure (signal (car failure) (cdr failure)))
    value))

(cl-defmethod llm-chat ((provider (llm-native)) prompt &optional multi-output)
  "Chat with PROVIDER on PROMPT on the native engine, waiting for the result.
With MULTI-OUTPUT return a plist.  Errors are signalled with the llm
error symbol and data (MESSAGE)."
  (llm-native--sync
   (lambda (on-response on-error)
     (llm-native--serve-chat provider prompt nil nil on-response on-error multi-output))))

(cl-defmethod llm-chat-async ((provider (llm-native)) prompt response-callback error-callback
                              &optional multi-output)
  "Chat with PROVIDER on PROMPT on the native engine; return the request handle.
RESPONSE-CALLBACK gets the result, ERROR-CALLBACK an error symbol and
message.  MULTI-OUTPUT selects a plist result."
  (llm-native--serve-chat provider prompt nil nil response-callback error-callback multi-output))

(cl-defmethod llm-chat-streaming ((provider (llm-native)) prompt partial-callback
                                  response-callback error-callback &optional multi-output)
  "Stream a chat of PROVIDER on PROMPT on the native engine; return the handle.
PARTIAL-CALLBACK gets the accumulated text (a plist with MULTI-OUTPUT),
RESPONSE-CALLBACK the result, ERROR-CALLBACK an error symbol and message."
  (llm-native--serve-chat provider prompt t partial-callback response-callback
                          error-callback multi-output))

(cl-defmethod llm-cancel-request ((request llm-native-handle))
  "Cancel the native REQUEST.
None of its callbacks run afterwards."
  (puthash request t llm-native--cancelled-handles)
  (llm-native-cancel request))

;;;; Warm connections

(defun llm-native-preconnect (target)
  "Open a connection to TARGET's host ahead of its first request.
TARGET is a provider that llm-native serves, or a URL.  The engine
connects (and does the TLS handshake) in the background, so the next
request to that host starts on a warm connection; call it, say, when a
chat buffer opens.  Return non-nil when a connection is being opened,
nil when TARGET's URL cannot be made (a provider without its key, or
one llm-native does not serve).  Nothing else comes of it: no callback,
no error."
  (interactive (list (read-string "Preconnect to URL: ")))
  (let ((url (if (stringp target) target
               (ignore-errors (plist-get (llm-native--endpoint target 'stream) :url)))))
    (when (and (stringp url) (string-match-p "\\`https?://" url))
      (llm-native--preconnect url)
      t)))

;;;; Embeddings

(defun llm-native--embedding-body (provider input)
  "Return the embedding request object of PROVIDER for INPUT (string or list)."
  (cond
   ((llm-gemini-p provider)
    (let ((model (concat "models/" (llm-gemini-embedding-model provider))))
      (if (stringp input)
          (list (cons 'model model)
                (cons 'content (list (cons 'parts (vector (list (cons 'text input)))))))
        (list (cons 'requests
                    (vconcat (mapcar (lambda (text)
                                       (list (cons 'model model)
                                             (cons 'content
                                                   (list (cons 'parts (vector (list (cons 'text text))))))))
                                     input)))))))
   ((llm-vertex-p provider)
    (list (cons 'instances (vconcat (mapcar (lambda (text) (list (cons 'content text)))
                                            (if (stringp input) (list input) input))))))
   (t (list (cons 'input (if (stringp input) input (vconcat input)))
            (cons 'model (if (llm-ollama-p provider) (llm-ollama-embedding-model provider)
                           (llm-openai-embedding-model provider)))))))

(defun llm-native--embedding-vectors (provider response)
  "Return the list of embedding vectors in PROVIDER's parsed RESPONSE."
  (cond
   ((llm-gemini-p provider)
    (if-let ((single (alist-get 'embedding response)))
        (list (alist-get 'values single))
      (mapcar (lambda (e) (alist-get 'values e)) (alist-get 'embeddings response))))
   ((llm-vertex-p provider)
    (mapcar (lambda (p) (alist-get 'values (alist-get 'embeddings p)))
            (alist-get 'predictions response)))
   ((llm-ollama-p provider) (append (alist-get 'embeddings response) nil))
   (t (mapcar (lambda (item) (alist-get 'embedding item))
              (sort (append (alist-get 'data response) nil)
                    (lambda (a b) (< (or (alist-get 'index a) 0) (or (alist-get 'index b) 0))))))))

(defun llm-native--body-error-text (body)
  "Return the provider's error text from the error BODY string, or nil."
  (when (stringp body)
    (let ((parsed (ignore-errors (json-parse-string body :object-type 'alist))))
      (when (consp parsed)
        (let ((err (alist-get 'error parsed)))
          (cond ((stringp err) err)
                ((consp err) (alist-get 'message err))))))))

(defun llm-native--serve-embedding (provider input batch vector-callback error-callback)
  "Start embedding INPUT with PROVIDER and return the handle.
With BATCH, VECTOR-CALLBACK gets the list of vectors, else one vector.
ERROR-CALLBACK gets an llm error symbol and a message."
  (let* ((endpoint (llm-native--endpoint provider (if batch 'batch-embed 'embed)))
         (records nil)
         (finished nil)
         (handle nil))
    (setq handle
          (llm-native--with-llm-errors
           (llm-native-request
           :method "POST"
           :url (plist-get endpoint :url)
           :headers (cons '("Content-Type" . "application/json") (plist-get endpoint :headers))
           :body (llm-native--serialize (llm-native--embedding-body provider input))
           :format 'json
           :on-record (lambda (record) (push record records))
           :on-done
           (lambda (_info)
             (unless (or finished (gethash handle llm-native--cancelled-handles))
               (setq finished t)
               (let* ((response (car records))
                      (err (and (consp response) (alist-get 'error response)))
                      (message (cond ((stringp err) err)
                                     ((consp err) (or (alist-get 'message err)
                                                      (format "%S" err)))))
                      ;; An answer of another shape is an error, not a failed callback.
                      (vectors (and (null message)
                                    (ignore-errors
                                      (llm-native--embedding-vectors provider response)))))
                 ;; The runtime runs this in the caller's buffer already.
                 (cond (message (funcall error-callback 'llm-request-error message))
                       ((not (and (consp vectors) (cl-every #'vectorp vectors)))
                        (funcall error-callback 'llm-request-error
                                 "No embedding in the provider's response"))
                       (t (funcall vector-callback (if batch vectors (car vectors))))))))
           :on-error
           (lambda (symbol message info)
             (unless (or finished (gethash handle llm-native--cancelled-handles))
               (setq finished t)
               (funcall error-callback (llm-native--llm-error-symbol symbol info)
                        (or (llm-native--body-error-text (plist-get info :body)) message)))))))
    handle))

(cl-defmethod llm-embedding ((provider (llm-native)) string)
  "Return the embedding vector of STRING from PROVIDER, waiting for it."
  (llm-native--sync
   (lambda (on-response on-error)
     (llm-native--serve-embedding provider string nil on-response on-error))))

(cl-defmethod llm-embedding-async ((provider (llm-native)) string vector-callback error-callback)
  "Embed STRING with PROVIDER; VECTOR-CALLBACK or ERROR-CALLBACK gets the outcome."
  (llm-native--serve-embedding provider string nil vector-callback error-callback))

(cl-defmethod llm-batch-embeddings ((provider (llm-native)) string-list)
  "Return the list of embedding vectors of STRING-LIST from PROVIDER."
  (llm-native--sync
   (lambda (on-response on-error)
     (llm-native--serve-embedding provider string-list t on-response on-error))))

(cl-defmethod llm-batch-embeddings-async ((provider (llm-native)) string-list
                                          vector-callback error-callback)
  "Embed STRING-LIST with PROVIDER; VECTOR-CALLBACK gets the list of vectors.
ERROR-CALLBACK gets an llm error symbol and a message."
  (llm-native--serve-embedding provider string-list t vector-callback error-callback))

(provide 'llm-native-llm)


;;; llm-native-llm.el ends here
