;;; llm-provider-utils.el --- llm-native's provider base types and helpers -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the provider layer of the `llm' API: the
;; base provider structs used for dispatch, the tool-use struct, the
;; `llm-provider-*' extension generics, and the shared helpers (system
;; prompt rendering, tool argument schemas, streaming tool-call assembly,
;; accumulation, token limits from the model registry).  It is used only
;; when the real `llm' package is not installed.
;;
;; There is no HTTP code here.  llm-native serves the standard providers
;; through :around methods (lisp/llm-native-llm.el) while `llm-native-mode'
;; is on; the primary chat and embedding methods below only run when the
;; mode is off, and then say so with an `llm-error'.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'seq)
(require 'llm)
(require 'llm-models)

;;;; Base structs

(cl-defstruct llm-standard-provider
  "Base type of the providers that follow the standard request flow.")

(defmacro llm-provider-utils-defstruct (&rest definition)
  "Run `cl-defstruct' on DEFINITION without docstring width warnings.
The accessor docstrings `cl-defstruct' generates for the long slot
names the API requires are wider than 80 columns."
  (declare (indent 1))
  `(with-suppressed-warnings ((docstrings nil))
     (cl-defstruct ,@definition)))

(llm-provider-utils-defstruct (llm-standard-chat-provider
                               (:include llm-standard-provider))
  "A standard provider that can chat.
DEFAULT-CHAT-TEMPERATURE, DEFAULT-CHAT-MAX-TOKENS and
DEFAULT-CHAT-NON-STANDARD-PARAMS fill the prompt's unset values."
  default-chat-temperature default-chat-max-tokens
  default-chat-non-standard-params)

(llm-provider-utils-defstruct (llm-standard-full-provider
                               (:include llm-standard-chat-provider))
  "A standard provider that can chat and compute embeddings.")

(cl-defstruct llm-provider-utils-tool-use
  "A tool call requested by the model.
ID is the provider's call id (may be nil), NAME the tool name, and
ARGS the arguments as an alist with symbol keys."
  id name args)

;;;; API keys

(defun llm-provider-utils-protect-key (key)
  "Return KEY in a form that does not show the secret when printed.
A string key becomes an uninterned symbol whose function returns it;
other values (functions, nil) are returned unchanged."
  (if (stringp key)
      (let ((holder (make-symbol "llm-api-key")))
        (fset holder (lambda () key))
        holder)
    key))

(defun llm-provider-utils-protect-key-arg (args)
  "Return constructor ARGS (a plist) with the :key value protected.
See `llm-provider-utils-protect-key'."
  (let ((copy (copy-sequence args)))
    (when (plist-member copy :key)
      (setq copy (plist-put copy :key (llm-provider-utils-protect-key
                                       (plist-get copy :key)))))
    copy))

(defun llm-provider-utils-key-value (key)
  "Return the secret string of KEY, calling it when it is a function."
  (if (functionp key) (funcall key) key))

(defun llm-provider-utils-bearer-headers (key)
  "Return an Authorization header alist for KEY, or nil when KEY is nil."
  (when-let ((secret (llm-provider-utils-key-value key)))
    (list (cons "Authorization" (concat "Bearer " secret)))))

;;;; Compat mode: nothing to serve the standard providers

(defun llm-provider-utils-signal-native-mode-off (provider operation)
  "Signal that PROVIDER cannot perform OPERATION while llm-native is off."
  (signal 'llm-error
          (list (format "%s cannot %s: `llm-native-mode' is off and the llm \
package is not installed; turn on `llm-native-mode'"
                        (llm-name provider) operation))))

(cl-defmethod llm-chat ((provider llm-standard-chat-provider) _prompt
                        &optional _multi-output)
  "Signal that chat with PROVIDER needs `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "chat"))

(cl-defmethod llm-chat-async ((provider llm-standard-chat-provider) _prompt
                              _response-callback _error-callback
                              &optional _multi-output)
  "Signal that async chat with PROVIDER needs `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "chat"))

(cl-defmethod llm-chat-streaming ((provider llm-standard-chat-provider) _prompt
                                  _partial-callback _response-callback
                                  _error-callback &optional _multi-output)
  "Signal that streaming chat with PROVIDER needs `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "stream a chat"))

(cl-defmethod llm-embedding ((provider llm-standard-full-provider) _string)
  "Signal that embeddings from PROVIDER need `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "compute embeddings"))

(cl-defmethod llm-embedding-async ((provider llm-standard-full-provider) _string
                                   _vector-callback _error-callback)
  "Signal that embeddings from PROVIDER need `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "compute embeddings"))

(cl-defmethod llm-batch-embeddings ((provider llm-standard-full-provider)
                                    _string-list)
  "Signal that embeddings from PROVIDER need `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "compute embeddings"))

(cl-defmethod llm-batch-embeddings-async ((provider llm-standard-full-provider)
                                          _string-list _vector-callback
                                          _error-callback)
  "Signal that embeddings from PROVIDER need `llm-native-mode'."
  (llm-provider-utils-signal-native-mode-off provider "compute embeddings"))

;;;; Extension generics

(cl-defgeneric llm-provider-request-prelude (provider)
  "Run before each request to PROVIDER: check keys, refresh tokens."
  (ignore provider)
  nil)

(cl-defgeneric llm-provider-headers (provider)
  "Return an alist of extra HTTP headers for PROVIDER's requests."
  (ignore provider)
  nil)

(cl-defgeneric llm-provider-chat-url (provider)
  "Return the URL of PROVIDER's chat endpoint.")

(cl-defgeneric llm-provider-chat-streaming-url (provider)
  "Return the URL of PROVIDER's streaming chat endpoint.
The default is the chat URL."
  (llm-provider-chat-url provider))

(cl-defgeneric llm-provider-chat-timeout (provider)
  "Return PROVIDER's request timeout in seconds, or nil for the default."
  (ignore provider)
  nil)

(cl-defgeneric llm-provider-chat-request (provider prompt streaming)
  "Return PROVIDER's request body for PROMPT as a plist.
STREAMING is non-nil for a streaming request.")

(cl-defmethod llm-provider-chat-request :before
  ((provider llm-standard-chat-provider) prompt _streaming)
  "Fill PROMPT's unset temperature, max tokens and parameters from PROVIDER."
  (llm-provider-utils-merge-provider-defaults provider prompt))

(cl-defmethod llm-provider-chat-request ((provider llm-standard-chat-provider)
                                         _prompt _streaming)
  "Signal that PROVIDER's request bodies are built by llm-native's engine."
  (llm-provider-utils-signal-native-mode-off provider "build a chat request"))

(cl-defgeneric llm-provider-chat-extract-error (provider response)
  "Return the error message in RESPONSE from PROVIDER, or nil."
  (ignore provider response)
  nil)

(cl-defgeneric llm-provider-chat-extract-result (provider response)
  "Return the text of RESPONSE from PROVIDER.")

(cl-defgeneric llm-provider-extract-tool-uses (provider response)
  "Return the list of `llm-provider-utils-tool-use' in RESPONSE from PROVIDER."
  (ignore provider response)
  nil)

(cl-defgeneric llm-provider-extract-reasoning (provider response)
  "Return the reasoning text in RESPONSE from PROVIDER, or nil."
  (ignore provider response)
  nil)

(cl-defgeneric llm-provider-extract-token-use (provider response)
  "Return a plist with :input-tokens and :output-tokens from PROVIDER's RESPONSE."
  (ignore provider response)
  nil)

(cl-defgeneric llm-provider-extract-for-multi-turn (provider response)
  "Return the plist kept for the next request from PROVIDER's RESPONSE, or nil."
  (ignore provider response)
  nil)

(cl-defgeneric llm-provider-append-to-prompt (provider prompt result
                                                       &optional tool-results
                                                       multi-turn)
  "Append PROVIDER's RESULT to PROMPT.
TOOL-RESULTS, when non-nil, are recorded in a `tool-results'
interaction instead; MULTI-TURN is kept on the interaction."
  (ignore provider)
  (llm-provider-utils-append-to-prompt prompt result tool-results nil multi-turn))

(cl-defgeneric llm-provider-populate-tool-uses (provider prompt tool-uses)
  "Record the model's TOOL-USES in PROMPT for PROVIDER.
The default appends an assistant interaction whose content is the list."
  (ignore provider)
  (llm-provider-utils-append-to-prompt prompt tool-uses nil 'assistant))

(cl-defgeneric llm-provider-streaming-media-handler (provider receiver err-receiver)
  "Return PROVIDER's streaming media handler.
It calls RECEIVER with partial plists and ERR-RECEIVER with messages.")

(cl-defgeneric llm-provider-collect-streaming-tool-uses (provider raw)
  "Return the tool-use structs built from PROVIDER's RAW fragments."
  (ignore provider raw)
  nil)

(cl-defgeneric llm-provider-embedding-url (provider &optional batch)
  "Return the URL of PROVIDER's embedding endpoint.
BATCH is non-nil for a batch request.")

(cl-defgeneric llm-provider-embedding-request (provider string)
  "Return PROVIDER's request body for the embedding of STRING.")

(cl-defgeneric llm-provider-batch-embeddings-request (provider string-list)
  "Return PROVIDER's request body for the embeddings of STRING-LIST.")

(cl-defgeneric llm-provider-embedding-extract-result (provider response)
  "Return the embedding vector in PROVIDER's RESPONSE.")

(cl-defgeneric llm-provider-batch-embeddings-extract-result (provider response)
  "Return the list of embedding vectors in PROVIDER's RESPONSE.")

(cl-defgeneric llm-provider-embedding-extract-error (provider response)
  "Return the error message in PROVIDER's embedding RESPONSE, or nil."
  (ignore provider response)
  nil)

;;;; Prompt helpers

(defun llm-provider-utils-merge-provider-defaults (provider prompt)
  "Fill PROMPT's unset values from the defaults of PROVIDER.
Temperature and max tokens are taken when unset; non-standard
parameters are merged per key, the prompt's values winning."
  (setf (llm-chat-prompt-temperature prompt)
        (or (llm-chat-prompt-temperature prompt)
            (llm-standard-chat-provider-default-chat-temperature provider))
        (llm-chat-prompt-max-tokens prompt)
        (or (llm-chat-prompt-max-tokens prompt)
            (llm-standard-chat-provider-default-chat-max-tokens provider)))
  (let ((params (llm-chat-prompt-non-standard-params prompt)))
    (dolist (default (llm-standard-chat-provider-default-chat-non-standard-params
                      provider))
      (unless (assoc (car default) params)
        (setq params (append params (list default)))))
    (setf (llm-chat-prompt-non-standard-params prompt) params)))

(defun llm-provider-utils-get-system-prompt (prompt &optional example-prelude)
  "Return the system text for PROMPT's context and examples.
It is the context and a newline, then, when there are examples,
EXAMPLE-PRELUDE (or a default one) and one \"User: X\\nAssistant: Y\"
block per example."
  (let* ((context (llm-chat-prompt-context prompt))
         (examples (llm-chat-prompt-examples prompt))
         (count (length examples)))
    (concat
     (if context (concat context "\n") "")
     (if examples
         (concat (or example-prelude
                     (if (= count 1)
                         "Here is an example of how to respond:\n"
                       (format "Here are %d examples of how to respond:\n" count)))
                 "\n"
                 (mapconcat (lambda (example)
                              (format "User: %s\nAssistant: %s"
                                      (car example) (cdr example)))
                            examples "\n"))
       ""))))

(defun llm-provider-utils-combine-to-system-prompt (prompt &optional example-prelude)
  "Move PROMPT's context and examples into a `system' interaction.
The first system interaction is extended, or a leading one made; only
then are the context and examples cleared.  EXAMPLE-PRELUDE introduces
the examples."
  (let ((system-text (llm-provider-utils-get-system-prompt prompt example-prelude))
        (system (cl-find 'system (llm-chat-prompt-interactions prompt)
                         :key #'llm-chat-prompt-interaction-role)))
    (unless (string-empty-p system-text)
      (if system
          (setf (llm-chat-prompt-interaction-content system)
                (concat (llm-chat-prompt-interaction-content system) "\n"
                        system-text))
        (push (make-llm-chat-prompt-interaction :role 'system :content system-text)
              (llm-chat-prompt-interactions prompt))
        (setf (llm-chat-prompt-context prompt) nil
              (llm-chat-prompt-examples prompt) nil)))))

(defun llm-provider-utils-combine-to-user-prompt (prompt &optional example-prelude)
  "Prepend PROMPT's context and examples to its first user message.
EXAMPLE-PRELUDE introduces the examples.  The context and examples are
then cleared."
  (let ((system-text (llm-provider-utils-get-system-prompt prompt example-prelude))
        (first (car (llm-chat-prompt-interactions prompt))))
    (unless (or (string-empty-p system-text) (null first))
      (setf (llm-chat-prompt-interaction-content first)
            (concat system-text "\n"
                    (llm-chat-prompt-interaction-content first)))
      (setf (llm-chat-prompt-context prompt) nil
            (llm-chat-prompt-examples prompt) nil))))

(defun llm-provider-utils-collapse-history (prompt &optional history-prelude)
  "Collapse PROMPT's conversation into its last user message.
For providers without a history.  HISTORY-PRELUDE introduces the
earlier turns."
  (let ((interactions (llm-chat-prompt-interactions prompt)))
    (when (> (length interactions) 1)
      (let ((last (car (last interactions))))
        (setf (llm-chat-prompt-interactions prompt)
              (list (make-llm-chat-prompt-interaction
                     :role 'user
                     :content
                     (concat (or history-prelude "Previous interactions:") "\n\n"
                             (mapconcat
                              (lambda (interaction)
                                (format "%s: %s"
                                        (if (eq (llm-chat-prompt-interaction-role
                                                 interaction)
                                                'user)
                                            "User" "Assistant")
                                        (llm-chat-prompt-interaction-content
                                         interaction)))
                              (butlast interactions) "\n")
                             "\n\nThe current conversation follows:\n\n"
                             (llm-chat-prompt-interaction-content last)))))))))

(cl-defun llm-provider-utils-append-to-prompt (prompt output &optional tool-results
                                                      role multi-turn)
  "Append OUTPUT to PROMPT as an interaction.
With TOOL-RESULTS, append a `tool-results' interaction holding them
instead.  ROLE overrides the role; MULTI-TURN is stored on the
interaction."
  (setf (llm-chat-prompt-interactions prompt)
        (append (llm-chat-prompt-interactions prompt)
                (list (make-llm-chat-prompt-interaction
                       :role (or role (if tool-results 'tool-results 'assistant))
                       :content (unless tool-results output)
                       :tool-results tool-results
                       :multi-turn-plist multi-turn)))))

(defun llm-provider-utils-callback-in-buffer (buffer callback &rest args)
  "Call CALLBACK with ARGS with BUFFER current, or a temporary buffer if it died.
Do nothing when CALLBACK is nil."
  (when callback
    (if (buffer-live-p buffer)
        (with-current-buffer buffer (apply callback args))
      (with-temp-buffer (apply callback args)))))

;;;; Values and serialization

(defun llm-provider-utils-json-val (value)
  "Return VALUE, or nil when it is the JSON null `:null'."
  (unless (eq value :null) value))

(defun llm-provider-utils--plist-p (value)
  "Return non-nil when VALUE is a plist: a list led by a keyword."
  (and (consp value) (keywordp (car value))))

(defun llm-provider-utils--alist-p (value)
  "Return non-nil when VALUE is a non-empty list of conses."
  (and (consp value) (cl-every #'consp value)))

(defun llm-provider-utils-convert-to-serializable (value)
  "Return VALUE in a form `json-serialize' accepts.
Plists and alists are converted per value, other lists become vectors,
and symbols other than t, nil and keywords become strings."
  (cond ((llm-provider-utils--plist-p value)
         (cl-loop for (key item) on value by #'cddr
                  append (list key (llm-provider-utils-convert-to-serializable item))))
        ((llm-provider-utils--alist-p value)
         (mapcar (lambda (pair)
                   (cons (car pair)
                         (llm-provider-utils-convert-to-serializable (cdr pair))))
                 value))
        ((consp value)
         (vconcat (mapcar #'llm-provider-utils-convert-to-serializable value)))
        ((vectorp value)
         (vconcat (mapcar #'llm-provider-utils-convert-to-serializable value)))
        ((and (symbolp value) value (not (eq value t)) (not (keywordp value)))
         (symbol-name value))
        (t value)))

(defun llm-provider-utils-non-standard-params-plist (prompt)
  "Return PROMPT's non-standard parameters as a serializable plist."
  (cl-loop for (name . value) in (llm-chat-prompt-non-standard-params prompt)
           append (list (intern (concat ":" (if (symbolp name) (symbol-name name)
                                              name)))
                        (llm-provider-utils-convert-to-serializable value))))

;;;; Tools

(defun llm-provider-utils--schema-value (value)
  "Return the JSON-schema form of VALUE from a tool argument spec.
Symbols become strings, nil becomes null and false values false."
  (cond ((null value) :null)
        ((memq value '(:false :json-false)) :false)
        ((llm-provider-utils--plist-p value)
         (cl-loop for (key item) on value by #'cddr
                  append (list key (llm-provider-utils--schema-value item))))
        ((consp value) (vconcat (mapcar #'llm-provider-utils--schema-value value)))
        ((vectorp value) (vconcat (mapcar #'llm-provider-utils--schema-value value)))
        ((eq value t) t)
        ((keywordp value) value)
        ((symbolp value) (symbol-name value))
        (t value)))

(defun llm-provider-utils-openai-arguments (args)
  "Return the JSON schema (a plist) of a tool's ARGS specs.
The result is an object schema with one property per argument and the
non-optional names under :required (omitted when empty)."
  (let (properties required)
    (dolist (arg args)
      (let* ((name (plist-get arg :name))
             (schema (list :type (symbol-name (plist-get arg :type)))))
        (when-let ((description (plist-get arg :description)))
          (setq schema (append schema (list :description description))))
        (when-let ((enum (plist-get arg :enum)))
          (setq schema (append schema (list :enum (llm-provider-utils--schema-value
                                                   (vconcat enum))))))
        (when-let ((items (plist-get arg :items)))
          (setq schema (append schema (list :items (llm-provider-utils--schema-value
                                                    items)))))
        (when-let ((nested (plist-get arg :properties)))
          (setq schema (append schema (list :properties
                                            (llm-provider-utils--schema-value
                                             nested)))))
        (setq properties (append properties
                                 (list (intern (concat ":" name)) schema)))
        (unless (plist-get arg :optional)
          (push name required))))
    (append (list :type "object" :properties properties)
            (when required (list :required (vconcat (nreverse required)))))))

(defun llm-provider-utils-parse-tool-arguments (json)
  "Return the alist of tool arguments encoded in the JSON string.
An empty or nil string means no arguments.  Invalid JSON signals
`llm-tool-call-error'."
  (if (or (null json) (string-empty-p (string-trim json)))
      nil
    (condition-case nil
        (json-parse-string json :object-type 'alist)
      (json-error
       (signal 'llm-tool-call-error
               (list (format "Invalid JSON in tool call arguments: %s" json)))))))

(defun llm-provider-utils-openai-collect-streaming-tool-uses (data)
  "Return the tool-use structs built from the OpenAI stream fragments DATA.
DATA is a sequence of parsed fragments.  They are grouped by `index';
the first id and name win and the argument strings are concatenated,
then parsed.  Return a list of `llm-provider-utils-tool-use'."
  (let (calls)
    (seq-doseq (fragment data)
      (let* ((index (or (llm-provider-utils-json-val (alist-get 'index fragment)) 0))
             (call (or (assoc index calls)
                       (car (push (list index nil nil "") calls))))
             (function (alist-get 'function fragment)))
        (unless (nth 1 call)
          (setf (nth 1 call) (llm-provider-utils-json-val (alist-get 'id fragment))))
        (unless (nth 2 call)
          (setf (nth 2 call) (llm-provider-utils-json-val (alist-get 'name function))))
        (when-let ((arguments (llm-provider-utils-json-val
                               (alist-get 'arguments function))))
          (setf (nth 3 call) (concat (nth 3 call) arguments)))))
    (mapcar (lambda (call)
              (make-llm-provider-utils-tool-use
               :id (nth 1 call) :name (nth 2 call)
               :args (llm-provider-utils-parse-tool-arguments (nth 3 call))))
            (sort calls (lambda (a b) (< (car a) (car b)))))))

;;;; Streaming accumulation

(defun llm-provider-utils-streaming-accumulate (current new)
  "Fold the partial NEW into the accumulated CURRENT and return the result.
Strings concatenate, numbers add, vectors concatenate, plists merge per
key with the same rules, other lists append, and nil yields the other
value.  Mismatched types signal `llm-invalid-argument'."
  (cond ((null current) new)
        ((null new) current)
        ((and (stringp current) (stringp new)) (concat current new))
        ((and (numberp current) (numberp new)) (+ current new))
        ((and (vectorp current) (vectorp new)) (vconcat current new))
        ((and (llm-provider-utils--plist-p current) (llm-provider-utils--plist-p new))
         (let ((result (copy-sequence current)))
           (cl-loop for (key value) on new by #'cddr
                    do (setq result (plist-put result key
                                               (llm-provider-utils-streaming-accumulate
                                                (plist-get result key) value))))
           result))
        ((and (listp current) (listp new)) (append current new))
        (t (signal 'llm-invalid-argument
                   (list (format "Cannot accumulate %S and %S" current new))))))

;;;; Model registry helpers

(defun llm-provider-utils-model-token-limit (model &optional default)
  "Return the context length of MODEL from the registry.
For an unknown MODEL, warn and return DEFAULT, or 128000."
  (if-let ((known (llm-models-match model)))
      (llm-model-context-length known)
    (display-warning 'llm (format "No model predefined for model %s, using \
restrictive defaults" model))
    (or default 128000)))

(defun llm-provider-utils-model-capabilities (model)
  "Return the registry capabilities of MODEL, or nil when it is unknown."
  (when-let ((known (llm-models-match model)))
    (llm-model-capabilities known)))

(defun llm-provider-utils-capability-union (&rest lists)
  "Return the capability symbols of LISTS, in order, without duplicates."
  (delete-dups (copy-sequence (apply #'append lists))))

;;;; Model lists

(defvar url-request-method)
(defvar url-request-extra-headers)
(defvar url-http-response-status)
(defvar url-http-end-of-headers)

(defun llm-provider-utils-get-json (url &optional headers)
  "GET URL with the extra HEADERS alist and return its parsed JSON body.
Objects are alists with symbol keys.  HTTP failures signal the
`llm-request-*' errors."
  (require 'url)
  (let* ((url-request-method "GET")
         (url-request-extra-headers
          (mapcar (lambda (header)
                    (cons (encode-coding-string (car header) 'utf-8)
                          (encode-coding-string (cdr header) 'utf-8)))
                  headers))
         (buffer (or (url-retrieve-synchronously url t t (or llm-request-plz-timeout 60))
                     (signal 'llm-request-timeout (list (format "No response from %s"
                                                                url))))))
    (unwind-protect
        (with-current-buffer buffer
          (goto-char (or url-http-end-of-headers (point-min)))
          (let ((status url-http-response-status)
                (body (decode-coding-string
                       (buffer-substring-no-properties (point) (point-max)) 'utf-8)))
            (cond ((memq status '(401 403))
                   (signal 'llm-request-authentication-error (list body)))
                  ((eq status 400) (signal 'llm-request-bad-request (list body)))
                  ((not (and (integerp status) (<= 200 status 299)))
                   (signal 'llm-request-error
                           (list (format "LLM request failed with code %s: %s"
                                         status body))))
                  (t (json-parse-string body :object-type 'alist)))))
      (kill-buffer buffer))))

(defun llm-provider-utils-model-names (url headers list-key name-key)
  "Return the model names listed at URL, fetched with HEADERS.
The response holds an array under LIST-KEY whose objects name the
model under NAME-KEY."
  (mapcar (lambda (model) (alist-get name-key model))
          (alist-get list-key (llm-provider-utils-get-json url headers))))

(provide 'llm-provider-utils)
;;; llm-provider-utils.el ends here
