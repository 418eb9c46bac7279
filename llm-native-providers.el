;;; llm-native-providers.el --- Provider table, routing, URLs and headers for the llm layer  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; The provider types of llm that llm-native serves, one entry each
;; (`llm-native--define-provider'): wire dialect, model slots, key,
;; system role, example prelude, model list and embedding shapes.  The
;; routing specializer `(llm-native)' matches a provider whose type has an
;; entry while `llm-native-mode' is on.  URL, headers and key come from
;; llm's own generic functions; this file adds what llm lacks.
;; doc/adding-a-provider.md walks through adding a type.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'url-util)

;; llm-native does not depend on llm: llm-native-llm.el loads these files
;; once llm is loaded.  package.el compiles them when llm-native is
;; installed, perhaps where llm is not; then the requires below only try,
;; and `llm-native--compile-without-llm' gives the llm struct slots these
;; files set setters that find the slot at run time (with llm present, the
;; compiler inlines llm's own accessors).
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
(eval-and-compile
  (defun llm-native--llm-slot-setters ()
    "Give the llm struct slots llm-native sets setters finding the slot at run time."
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
                        (funcall do getter setter))))))
  (defmacro llm-native--compile-without-llm ()
    "Where llm is absent at compile time, quiet its warnings and set its slots.
See `llm-native--llm-slot-setters'.  Expands to nothing where llm is present."
    (unless (featurep 'llm)
      ;; Nothing of llm is known: warnings about it would only be noise.
      '(eval-when-compile
         (setq byte-compile-warnings '(not unresolved))
         (llm-native--llm-slot-setters)))))
(llm-native--require-llm)
(llm-native--compile-without-llm)
(require 'llm-native-runtime)

(defvar llm-native-mode)
(declare-function llm-native--openai-models-url "llm-native-models" (provider))
(defvar llm-openai-example-prelude)
(defvar llm-ollama-example-prelude)
(defvar llm-vertex-example-prelude)
(defvar llm-llamacpp-example-prelude)

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

;;;; The provider table

(defvar llm-native--providers nil
  "The provider types llm-native serves: (TYPE . PROPERTIES), most specific first.
See `llm-native--define-provider'.")

(defun llm-native--define-provider (type &rest properties)
  "Serve the llm provider struct TYPE natively, as PROPERTIES describe.
Define a type after the types it includes, so that its entry wins.
:inherit PARENT     a type defined before: its properties, unless given
:dialect NAME       the module's wire dialect (\"openai-chat\" ...)
:chat-model F       the chat model slot's accessor
:embedding-model F  the embedding model slot's accessor
:key F              the accessor of a key without which nothing is sent
:system-role BOOL   context and examples travel as a system interaction
:prelude (VAR DEF)  llm's variable introducing examples; DEF if unbound
:options F          (PROVIDER) -> alist of canonical prompt options
:reasoning-style S  reasoning always sent, in style S (DeepSeek)
:tool-results-role R  the role of tool results (default `tool-results')
:endpoint F         (PROVIDER KIND URL HEADERS) -> (URL . HEADERS)
:models (LIST . NAME)  where a model list answer names its models
:models-url F       (PROVIDER) -> the model list URL
:embedding (BODY VECTORS)  (PROVIDER INPUT) -> request object, and
                    (RESPONSE) -> list of vectors."
  (let ((parent (plist-get properties :inherit)))
    (when parent
      (setq properties (append properties
                               (or (cdr (assq parent llm-native--providers))
                                   (error "Provider type %s is not defined" parent))))))
  ;; A new list each time: `llm-native--provider' remembers entries per list.
  (setq llm-native--providers
        (if (assq type llm-native--providers)
            (mapcar (lambda (entry) (if (eq (car entry) type) (cons type properties) entry))
                    llm-native--providers)
          (cons (cons type properties) llm-native--providers)))
  type)

(defun llm-native--provider (provider)
  "Return the properties of PROVIDER's served type, nil when it is not served.
The entry of the most specific type PROVIDER belongs to, remembered per
struct type."
  (and (recordp provider)
       (let* ((type (type-of provider))
              (cached (get type 'llm-native--provider)))
         (if (eq (car cached) llm-native--providers)
             (cdr cached)
           (let ((entry (cdr (cl-find-if (lambda (entry) (cl-typep provider (car entry)))
                                         llm-native--providers))))
             (put type 'llm-native--provider (cons llm-native--providers entry))
             entry)))))

(defun llm-native--provider-get (provider property)
  "Return PROPERTY of PROVIDER's entry in the provider table."
  (plist-get (llm-native--provider provider) property))

(defun llm-native--served-p (provider)
  "Return non-nil when the native engine serves PROVIDER's type."
  (and (llm-native--provider provider) t))

(defun llm-native--dialect (provider)
  "Return the wire dialect of PROVIDER's type, or nil when it is not served."
  (llm-native--provider-get provider :dialect))

(defun llm-native--chat-model (provider)
  "Return PROVIDER's chat model name (the first one of an OpenRouter list)."
  (let ((model (funcall (llm-native--provider-get provider :chat-model) provider)))
    (if (consp model) (car model) model)))

(defun llm-native--example-prelude (provider)
  "Return the example prelude for PROVIDER, as llm has it; nil for the default."
  (pcase (llm-native--provider-get provider :prelude)
    (`(,variable ,default) (if (boundp variable) (symbol-value variable) default))))

(defun llm-native--embedding-input-body (provider input)
  "Return the OpenAI-style embedding request of PROVIDER for INPUT."
  (list (cons 'input (if (stringp input) input (vconcat input)))
        (cons 'model (funcall (llm-native--provider-get provider :embedding-model) provider))))

(defun llm-native--openai-vectors (response)
  "Return the vectors of an OpenAI embedding RESPONSE, in input order."
  (mapcar (lambda (item) (alist-get 'embedding item))
          (sort (append (alist-get 'data response) nil)
                (lambda (a b) (< (or (alist-get 'index a) 0) (or (alist-get 'index b) 0))))))

(defun llm-native--gemini-embedding-body (provider input)
  "Return the Gemini embedding request of PROVIDER for INPUT."
  (let ((model (concat "models/" (llm-gemini-embedding-model provider))))
    (if (stringp input)
        (list (cons 'model model)
              (cons 'content (list (cons 'parts (vector (list (cons 'text input)))))))
      (list (cons 'requests
                  (vconcat (mapcar (lambda (text)
                                     (list (cons 'model model)
                                           (cons 'content
                                                 (list (cons 'parts
                                                             (vector (list (cons 'text text))))))))
                                   input)))))))

(defun llm-native--gemini-vectors (response)
  "Return the vectors of a Gemini embedding RESPONSE."
  (if-let ((single (alist-get 'embedding response)))
      (list (alist-get 'values single))
    (mapcar (lambda (e) (alist-get 'values e)) (alist-get 'embeddings response))))

(defun llm-native--gemini-endpoint (provider kind url headers)
  "Return (URL . HEADERS) of the Gemini PROVIDER's request of KIND.
llm has no batch embeddings for Gemini; its endpoint is a sibling.  The
key moves from the query string into a header."
  (when (eq kind 'batch-embed)
    (setq url (string-replace ":embedContent" ":batchEmbedContents" url)))
  (llm-native--gemini-key-to-header provider url headers))

(defun llm-native--openrouter-options (provider)
  "Return the canonical options of the OpenRouter PROVIDER: its model list."
  (let ((models (llm-openai-chat-model provider)))
    (when (consp models) (list (cons 'models (vconcat models))))))

(llm-native--define-provider
 'llm-openai
 :dialect "openai-responses" :chat-model #'llm-openai-chat-model
 :embedding-model #'llm-openai-embedding-model :key #'llm-openai-key
 :models '(data . id) :models-url #'llm-native--openai-models-url
 :embedding (list #'llm-native--embedding-input-body #'llm-native--openai-vectors))

(llm-native--define-provider
 'llm-openai-compatible :inherit 'llm-openai
 :dialect "openai-chat" :key nil :system-role t
 :prelude '(llm-openai-example-prelude "Examples of how you should respond follow."))

(llm-native--define-provider
 'llm-openrouter :inherit 'llm-openai-compatible :options #'llm-native--openrouter-options)

(llm-native--define-provider
 'llm-deepseek :inherit 'llm-openai-compatible :reasoning-style "deepseek")

(llm-native--define-provider
 ;; llm builds an api-key header even without a key: no request without one.
 'llm-azure :inherit 'llm-openai-compatible :key #'llm-azure-key)

(llm-native--define-provider
 'llm-llamacpp :inherit 'llm-openai-compatible :prelude '(llm-llamacpp-example-prelude nil))

(llm-native--define-provider
 'llm-ollama
 :dialect "ollama" :chat-model #'llm-ollama-chat-model
 :embedding-model #'llm-ollama-embedding-model :system-role t
 :prelude '(llm-ollama-example-prelude "Examples of how you should respond follow.")
 :models '(models . name)
 :models-url (list "/api/chat\\'" "/api/tags"
                   (lambda (provider)
                     (format "%s://%s:%s/api/tags" (llm-ollama-scheme provider)
                             (llm-ollama-host provider) (llm-ollama-port provider))))
 :embedding (list #'llm-native--embedding-input-body
                  (lambda (response) (append (alist-get 'embeddings response) nil))))

(llm-native--define-provider
 'llm-claude
 :dialect "anthropic" :chat-model #'llm-claude-chat-model :key #'llm-claude-key
 :tool-results-role 'user
 :models '(data . id)
 :models-url '("messages\\'" "models" "https://api.anthropic.com/v1/models"))

(llm-native--define-provider
 'llm-vertex
 ;; gcloud printed nothing: no request without a token.
 :dialect "gemini" :chat-model #'llm-vertex-chat-model :key #'llm-vertex-key :system-role t
 :prelude '(llm-vertex-example-prelude "Examples of how you should respond follow.")
 :embedding (list (lambda (_provider input)
                    (list (cons 'instances
                                (vconcat (mapcar (lambda (text) (list (cons 'content text)))
                                                 (if (stringp input) (list input) input))))))
                  (lambda (response)
                    (mapcar (lambda (p) (alist-get 'values (alist-get 'embeddings p)))
                            (alist-get 'predictions response)))))

(llm-native--define-provider
 'llm-gemini :inherit 'llm-vertex
 :chat-model #'llm-gemini-chat-model :key nil :endpoint #'llm-native--gemini-endpoint
 :models '(models . name)
 :models-url '("/models/[^/]*\\'" "/models/"
               "https://generativelanguage.googleapis.com/v1beta/models/")
 :embedding (list #'llm-native--gemini-embedding-body #'llm-native--gemini-vectors))

;;;; Routing

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
      (when-let ((adjust (llm-native--provider-get provider :endpoint)))
        (let ((moved (funcall adjust provider kind url headers)))
          (setq url (car moved) headers (cdr moved))))
      (when-let ((key (llm-native--provider-get provider :key)))
        (llm-native--require-key provider (funcall key provider)))
      (setq url (llm-native--redirect provider url))
      (unless (and (stringp url) (string-match-p "\\`https?://[^/?#]" url))
        (signal 'llm-provider-unconfigured
                (list (format "The %s provider has no http(s) URL: %S"
                              (llm-native--type-label provider) url))))
      (list :dialect dialect :url url :headers headers))))


(provide 'llm-native-providers)
;;; llm-native-providers.el ends here
