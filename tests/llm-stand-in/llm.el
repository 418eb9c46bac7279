;;; llm.el --- llm-native's implementation of the llm public API -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; Package-Requires: ((emacs "28.1"))
;; Version: 0.31.1

;; This file is not part of GNU Emacs.

;;; Commentary:

;; This is llm-native's own implementation of the public API of the Emacs
;; `llm' package (structs, prompt constructors, error symbols, the core
;; generic functions, logging and non-free warnings).  It is used only when
;; the real `llm' package from GNU ELPA is not installed: llm-native.el puts
;; this folder on `load-path' only when `locate-library' cannot find `llm'.
;; It was written from llm's documented API contract; it shares no code
;; with the `llm' package.
;;
;; Deliberate choices where the contract leaves room:
;; - `not-implemented' is signalled by the default methods, as in `llm', and
;;   like `llm' it is NOT defined with `define-error': only a `t' handler
;;   catches it.  Clients are expected to check `llm-capabilities' first.
;; - The standard providers' chat and embedding methods (in
;;   llm-provider-utils.el) signal an `llm-error' explaining that
;;   `llm-native-mode' is off; llm-native serves them with :around methods.

;;; Code:

(require 'cl-lib)
(require 'subr-x)

;;;; Customization

(defgroup llm nil
  "Interface to large language models (llm-native implementation)."
  :group 'external
  :prefix "llm-")

(defcustom llm-warn-on-nonfree t
  "When non-nil, warn when a provider that is not free software is used."
  :type 'boolean
  :group 'llm)

(defcustom llm-log nil
  "When non-nil, log chat requests, responses and errors to `*llm log*'."
  :type 'boolean
  :group 'llm)

(defcustom llm-request-plz-timeout nil
  "Whole-request timeout in seconds, or nil for no limit."
  :type '(choice (const :tag "None" nil) integer)
  :group 'llm)

(defcustom llm-request-plz-connect-timeout 10
  "Connection timeout in seconds."
  :type 'integer
  :group 'llm)

;;;; Errors

(define-error 'llm-error "An error occurred in LLM operations")
(define-error 'llm-invalid-argument "Invalid argument to an LLM function" 'llm-error)
(define-error 'llm-not-supported "Operation not supported by this LLM" 'llm-error)
(define-error 'llm-provider-error "LLM provider error" 'llm-error)
(define-error 'llm-provider-unconfigured "LLM provider is not configured"
  'llm-provider-error)
(define-error 'llm-request-error "LLM request failed" 'llm-error)
(define-error 'llm-request-timeout "LLM request timed out" 'llm-request-error)
(define-error 'llm-request-authentication-error "LLM request authentication failed"
  'llm-request-error)
(define-error 'llm-request-bad-request "LLM request was rejected as bad"
  'llm-request-error)
(define-error 'llm-request-refusal "LLM refused the request" 'llm-request-error)
(define-error 'llm-tool-call-error "Error calling an LLM tool" 'llm-error)
(define-error 'llm-tool-unknown-tool "The LLM called an unknown tool"
  'llm-tool-call-error)
(define-error 'llm-tool-unknown-argument "The LLM passed an unknown tool argument"
  'llm-tool-call-error)
(define-error 'llm-tool-missing-argument "The LLM omitted a required tool argument"
  'llm-tool-call-error)

;;;; Data model

(cl-defstruct llm-chat-prompt
  "The state of a conversation with an LLM.
Create it with `llm-make-chat-prompt'."
  context examples interactions tools temperature max-tokens
  response-format reasoning non-standard-params tool-options)

(cl-defstruct llm-tool-options
  "Options on how tools are used.
TOOL-CHOICE is `auto', `none', `any' or the name of a tool to force."
  (tool-choice 'auto))

(cl-defstruct llm-chat-prompt-interaction
  "One turn of a conversation.
ROLE is `user', `assistant', `tool-results' or `system'.  CONTENT is a
string, an `llm-multipart', a list of tool-use structs, or nil."
  role content tool-results multi-turn-plist)

(cl-defstruct llm-chat-prompt-tool-result
  "The result of one executed tool call."
  call-id tool-name result)

(cl-defstruct llm-tool
  "A tool the LLM may call.  Build it with `llm-make-tool'."
  function name description args async)

(cl-defstruct llm-media
  "Media content: MIME-TYPE string and DATA, a unibyte string."
  mime-type data)

(cl-defstruct llm-multipart
  "Content made of PARTS, each a string or an `llm-media'."
  parts)

;;;; Prompt construction

(cl-defun llm-make-chat-prompt (content &key context examples tools tool-options
                                        temperature max-tokens response-format
                                        reasoning non-standard-params)
  "Return an `llm-chat-prompt' whose conversation is CONTENT.
CONTENT is a string, an `llm-multipart', or a list of alternating user
and assistant contents of odd length, ending with the user's.
CONTEXT, EXAMPLES, TOOLS, TOOL-OPTIONS, TEMPERATURE, MAX-TOKENS,
RESPONSE-FORMAT, REASONING and NON-STANDARD-PARAMS fill the slots of
the same names."
  (unless content
    (signal 'llm-invalid-argument '("CONTENT is required")))
  (when (and (listp content) (cl-evenp (length content)))
    (signal 'llm-invalid-argument
            '("CONTENT, as a list, must have an odd number of elements")))
  (make-llm-chat-prompt
   :context context
   :examples examples
   :interactions (let ((role-cycle '(user assistant))
                       (index 0))
                   (mapcar (lambda (item)
                             (prog1 (make-llm-chat-prompt-interaction
                                     :role (nth (% index 2) role-cycle)
                                     :content item)
                               (cl-incf index)))
                           (if (listp content) content (list content))))
   :tools tools
   :tool-options tool-options
   :temperature temperature
   :max-tokens max-tokens
   :response-format response-format
   :reasoning reasoning
   :non-standard-params non-standard-params))

(defun llm-make-simple-chat-prompt (text)
  "Return a chat prompt holding the single user message TEXT.
Deprecated: this is the same as `llm-make-chat-prompt' with TEXT."
  (llm-make-chat-prompt text))

(defun llm-chat-prompt-append-response (prompt response &optional role)
  "Append RESPONSE to the interactions of PROMPT, with ROLE.
ROLE defaults to `user'.  Use this to continue a conversation."
  (setf (llm-chat-prompt-interactions prompt)
        (append (llm-chat-prompt-interactions prompt)
                (list (make-llm-chat-prompt-interaction
                       :role (or role 'user) :content response)))))

(cl-defun llm-make-tool (&key function name description args async
                              &allow-other-keys)
  "Return an `llm-tool'.
FUNCTION is called with the arguments (and, when ASYNC is non-nil, a
result callback first).  NAME is the tool's name string, DESCRIPTION
says what it does, and ARGS is a list of plists describing each
argument with :name, :type, :description, :optional, :enum, :items and
:properties.  Other keys are ignored."
  (make-llm-tool :function function :name name :description description
                 :args args :async async))

(defconst llm--image-mime-types
  '((svg . "image/svg+xml") (webp . "image/webp") (png . "image/png")
    (gif . "image/gif") (tiff . "image/tiff") (jpeg . "image/jpeg")
    (xpm . "image/x-xpixmap") (xbm . "image/x-xbitmap"))
  "MIME types of the Emacs image types that can be sent to an LLM.")

(declare-function image-search-load-path "image" (file &optional path))

(defun llm--image-to-media (image)
  "Return an `llm-media' holding the bytes of the Emacs IMAGE object."
  (let* ((props (cdr image))
         (type (plist-get props :type))
         (mime (or (alist-get type llm--image-mime-types)
                   (signal 'llm-invalid-argument
                           (list (format "Unsupported image type %s" type)))))
         (data (or (plist-get props :data)
                   (when-let ((file (plist-get props :file)))
                     (with-temp-buffer
                       (set-buffer-multibyte nil)
                       (insert-file-contents-literally
                        (if (or (file-exists-p file)
                                (not (fboundp 'image-search-load-path)))
                            file
                          (or (image-search-load-path file) file)))
                       (buffer-string))))))
    (unless data
      (signal 'llm-invalid-argument '("Image has neither :data nor :file")))
    (make-llm-media :mime-type mime :data data)))

(defun llm-make-multipart (&rest parts)
  "Return an `llm-multipart' of PARTS.
Each part is a string, an `llm-media' or an Emacs image object, which
is turned into an `llm-media'."
  (make-llm-multipart
   :parts (mapcar (lambda (part)
                    (if (and (consp part) (eq (car part) 'image))
                        (llm--image-to-media part)
                      part))
                  parts)))

(defun llm--content-to-text (content)
  "Return a readable rendering of interaction CONTENT for logs."
  (cond ((stringp content) content)
        ((llm-multipart-p content)
         (mapconcat (lambda (part)
                      (if (llm-media-p part)
                          (format "<%s, %d bytes>" (llm-media-mime-type part)
                                  (length (llm-media-data part)))
                        (format "%s" part)))
                    (llm-multipart-parts content) " "))
        ((null content) "")
        (t (format "%S" content))))

(defun llm-chat-prompt-to-text (prompt)
  "Return a human-readable rendering of PROMPT, for logging only."
  (with-temp-buffer
    (when (llm-chat-prompt-context prompt)
      (insert "Context: " (llm-chat-prompt-context prompt) "\n"))
    (when (llm-chat-prompt-examples prompt)
      (insert "Examples:\n")
      (dolist (example (llm-chat-prompt-examples prompt))
        (insert (format "  User: %s\n  Response: %s\n"
                        (car example) (cdr example)))))
    (insert "Interactions:\n")
    (dolist (interaction (llm-chat-prompt-interactions prompt))
      (insert (format "%s: %s\n" (llm-chat-prompt-interaction-role interaction)
                      (llm--content-to-text
                       (llm-chat-prompt-interaction-content interaction))))
      (dolist (result (llm-chat-prompt-interaction-tool-results interaction))
        (insert (format "  Tool %s result: %s\n"
                        (llm-chat-prompt-tool-result-tool-name result)
                        (llm-chat-prompt-tool-result-result result)))))
    (when (llm-chat-prompt-tools prompt)
      (insert (format "Tools: %s\n"
                      (mapconcat #'llm-tool-name (llm-chat-prompt-tools prompt)
                                 ", "))))
    (when (llm-chat-prompt-temperature prompt)
      (insert (format "Temperature: %s\n" (llm-chat-prompt-temperature prompt))))
    (when (llm-chat-prompt-max-tokens prompt)
      (insert (format "Max tokens: %s\n" (llm-chat-prompt-max-tokens prompt))))
    (buffer-string)))

;;;; Non-free warnings

(cl-defgeneric llm-nonfree-message-info (provider)
  "Return the URL of PROVIDER's terms of service if it is not free software.
Return nil for free software providers."
  (ignore provider)
  nil)

(defun llm--warn-on-nonfree (provider)
  "Warn that PROVIDER is not free software, if `llm-warn-on-nonfree' is set."
  (when llm-warn-on-nonfree
    (when-let ((terms (llm-nonfree-message-info provider)))
      (lwarn '(llm nonfree) :warning
             "%s is not free software and your freedom to use it is restricted.
See %s for the terms of use.
To stop these warnings, set `llm-warn-on-nonfree' to nil."
             (llm-name provider) terms))))

;;;; Logging

(defun llm--log (kind &rest fields)
  "Append an entry of KIND with FIELDS (a plist) to the `*llm log*' buffer."
  (when llm-log
    (with-current-buffer (get-buffer-create "*llm log*")
      (save-excursion
        (goto-char (point-max))
        (let ((inhibit-read-only t))
          (insert (format "[%s] %s"
                          (format-time-string "%F %T")
                          (pcase kind
                            ('api-send "Sending to")
                            ('api-receive "Received from")
                            ('api-error "Error from")
                            ('api-funcall "Tool call for")
                            (_ (symbol-name kind))))
                  (format " %s\n" (let ((provider (plist-get fields :provider)))
                                    (if provider (llm-name provider) "nil")))
                  (if-let ((prompt (plist-get fields :prompt)))
                      (llm-chat-prompt-to-text prompt)
                    "")
                  (if (plist-member fields :msg)
                      (format "%s\n" (let ((msg (plist-get fields :msg)))
                                       (if (stringp msg) msg (format "%S" msg))))
                    "")
                  "\n"))))))

(defun llm--log-callbacks (provider response-callback error-callback)
  "Return (RESPONSE . ERROR) callbacks that log for PROVIDER.
They log, then call RESPONSE-CALLBACK or ERROR-CALLBACK."
  (cons (lambda (result)
          (llm--log 'api-receive :provider provider :msg result)
          (funcall response-callback result))
        (lambda (type message)
          (llm--log 'api-error :provider provider
                    :msg (format "%s: %s" type message))
          (funcall error-callback type message))))

;;;; Core generics

(defconst llm--nil-provider-message
  "LLM provider was nil.  Please set the provider in the application you are using"
  "Message of the error signalled when a nil provider is used.")

(defun llm--signal-nil-provider ()
  "Signal that the provider is nil."
  (signal 'llm-provider-unconfigured (list llm--nil-provider-message)))

(cl-defgeneric llm-chat (provider prompt &optional multi-output)
  "Chat with PROVIDER about PROMPT and return the response, blocking.
The result is the text, the tool-results alist when tools ran, or a
plist when MULTI-OUTPUT is non-nil.  PROMPT is updated with the turn."
  (ignore provider prompt multi-output)
  (signal 'not-implemented nil))

(cl-defmethod llm-chat ((_ (eql nil)) _prompt &optional _multi-output)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-chat :before (provider _prompt &optional _multi-output)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defmethod llm-chat :around (provider prompt &optional multi-output)
  "Log the chat with PROVIDER about PROMPT when `llm-log' is set."
  (ignore multi-output)
  (if (not llm-log)
      (cl-call-next-method)
    (llm--log 'api-send :provider provider :prompt prompt)
    (condition-case err
        (let ((result (cl-call-next-method)))
          (llm--log 'api-receive :provider provider :msg result)
          result)
      (t (llm--log 'api-error :provider provider :msg (format "%S" err))
         (signal (car err) (cdr err))))))

(cl-defgeneric llm-chat-streaming (provider prompt partial-callback
                                            response-callback error-callback
                                            &optional multi-output)
  "Stream a chat with PROVIDER about PROMPT and return the request handle.
PARTIAL-CALLBACK (may be nil) receives the accumulated output so far,
RESPONSE-CALLBACK the final result once, and ERROR-CALLBACK an error
symbol and a message.  MULTI-OUTPUT makes the results plists."
  (ignore provider prompt partial-callback response-callback error-callback
          multi-output)
  (signal 'not-implemented nil))

(cl-defmethod llm-chat-streaming ((_ (eql nil)) _prompt _partial-callback
                                  _response-callback _error-callback
                                  &optional _multi-output)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-chat-streaming :before (provider _prompt _partial _response
                                                   _error &optional _multi-output)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defmethod llm-chat-streaming :around (provider prompt partial-callback
                                                   response-callback error-callback
                                                   &optional multi-output)
  "Log the streaming chat with PROVIDER about PROMPT when `llm-log' is set.
PARTIAL-CALLBACK, RESPONSE-CALLBACK, ERROR-CALLBACK and MULTI-OUTPUT
are passed on."
  (if (not llm-log)
      (cl-call-next-method)
    (llm--log 'api-send :provider provider :prompt prompt)
    (let ((callbacks (llm--log-callbacks provider response-callback error-callback)))
      (cl-call-next-method provider prompt partial-callback
                           (car callbacks) (cdr callbacks) multi-output))))

(cl-defgeneric llm-chat-async (provider prompt response-callback error-callback
                                        &optional multi-output)
  "Chat with PROVIDER about PROMPT without blocking; return the request handle.
RESPONSE-CALLBACK receives the result, ERROR-CALLBACK an error symbol
and a message.  MULTI-OUTPUT makes the result a plist.  The default
streams with no partial callback."
  (llm-chat-streaming provider prompt nil response-callback error-callback
                      multi-output))

(cl-defmethod llm-chat-async ((_ (eql nil)) _prompt _response-callback
                              _error-callback &optional _multi-output)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-chat-async :before (provider _prompt _response _error
                                               &optional _multi-output)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defmethod llm-chat-async :around (provider prompt response-callback
                                               error-callback &optional multi-output)
  "Log the async chat with PROVIDER about PROMPT when `llm-log' is set.
RESPONSE-CALLBACK, ERROR-CALLBACK and MULTI-OUTPUT are passed on."
  (if (not llm-log)
      (cl-call-next-method)
    (llm--log 'api-send :provider provider :prompt prompt)
    (let ((callbacks (llm--log-callbacks provider response-callback error-callback))
          ;; The default method goes through `llm-chat-streaming', whose
          ;; own logging would record the exchange twice.
          (llm-log nil))
      (cl-call-next-method provider prompt (car callbacks) (cdr callbacks)
                           multi-output))))

(cl-defgeneric llm-embedding (provider string)
  "Return the embedding vector of STRING from PROVIDER, blocking."
  (ignore provider string)
  (signal 'not-implemented nil))

(cl-defmethod llm-embedding ((_ (eql nil)) _string)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-embedding :before (provider _string)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defgeneric llm-embedding-async (provider string vector-callback error-callback)
  "Compute the embedding of STRING with PROVIDER without blocking.
VECTOR-CALLBACK receives the vector, ERROR-CALLBACK an error symbol and
a message.  Return the request handle."
  (ignore provider string vector-callback error-callback)
  (signal 'not-implemented nil))

(cl-defmethod llm-embedding-async ((_ (eql nil)) _string _vector-callback
                                   _error-callback)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-embedding-async :before (provider _string _vector _error)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defgeneric llm-batch-embeddings (provider string-list)
  "Return the list of embedding vectors of STRING-LIST from PROVIDER, blocking."
  (ignore provider string-list)
  (signal 'not-implemented nil))

(cl-defmethod llm-batch-embeddings ((_ (eql nil)) _string-list)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-batch-embeddings :before (provider _string-list)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defgeneric llm-batch-embeddings-async (provider string-list vector-callback
                                                    error-callback)
  "Compute the embeddings of STRING-LIST with PROVIDER without blocking.
VECTOR-CALLBACK receives the list of vectors in input order,
ERROR-CALLBACK an error symbol and a message.  Return the request handle."
  (ignore provider string-list vector-callback error-callback)
  (signal 'not-implemented nil))

(cl-defmethod llm-batch-embeddings-async ((_ (eql nil)) _string-list
                                          _vector-callback _error-callback)
  "Signal that the provider is nil."
  (llm--signal-nil-provider))

(cl-defmethod llm-batch-embeddings-async :before (provider _strings _vector _error)
  "Warn if PROVIDER is not free software."
  (llm--warn-on-nonfree provider))

(cl-defgeneric llm-count-tokens (provider string)
  "Return the number of tokens STRING takes for PROVIDER.
The default estimates four tokens for every three words."
  (ignore provider)
  (with-temp-buffer
    (insert string)
    (/ (* (count-words (point-min) (point-max)) 4) 3)))

(cl-defgeneric llm-chat-token-limit (provider)
  "Return the largest number of tokens PROVIDER accepts in a chat prompt."
  (ignore provider)
  2048)

(cl-defgeneric llm-capabilities (provider)
  "Return the list of capability symbols of PROVIDER.
Possible values include `streaming', `embeddings', `embeddings-batch',
`tool-use', `streaming-tool-use', `image-input', `pdf-input',
`audio-input', `video-input', `json-response', `model-list' and
`reasoning'."
  (ignore provider)
  nil)

(cl-defgeneric llm-models (provider)
  "Return the list of model names available from PROVIDER, blocking."
  (ignore provider)
  (signal 'not-implemented nil))

(cl-defgeneric llm-name (provider)
  "Return a short name for PROVIDER, for display."
  (ignore provider)
  "LLM")

(cl-defgeneric llm-cancel-request (request)
  "Cancel REQUEST, a handle returned by an async or streaming call."
  (ignore request)
  (lwarn 'llm :warning "Canceling a request is not supported for this LLM."))

(cl-defmethod llm-cancel-request ((buffer buffer))
  "Cancel the request writing to BUFFER by killing BUFFER."
  (when (buffer-live-p buffer)
    (let ((kill-buffer-query-functions nil))
      (kill-buffer buffer))))

(cl-defmethod llm-cancel-request ((process process))
  "Cancel the request running in PROCESS by deleting it."
  (delete-process process))

;;;; Streaming into a buffer

(defun llm--replace-region-text (start end text)
  "Make the text between markers START and END equal TEXT.
Only the part after the common prefix is deleted and reinserted."
  (let* ((current (buffer-substring-no-properties start end))
         (comparison (compare-strings current nil nil text nil nil))
         (common (if (eq comparison t) (length text) (1- (abs comparison)))))
    (unless (eq comparison t)
      (save-excursion
        (goto-char (+ start common))
        (delete-region (point) end)
        (insert (substring text common))))))

(cl-defun llm-chat-streaming-to-point (provider prompt buffer point finish-callback
                                                &key processor)
  "Stream PROVIDER's answer to PROMPT into BUFFER at POINT.
Each accumulated text, passed through PROCESSOR when given (called as
\(PROCESSOR TEXT START-MARKER)), replaces what was inserted so far;
only the changed tail is rewritten.  FINISH-CALLBACK is called with no
arguments when the answer is complete.  Return the request handle."
  (with-current-buffer buffer
    (let* ((start (copy-marker point))
           (end (copy-marker point t))
           (update (lambda (text)
                     (when (and (stringp text) (buffer-live-p buffer))
                       (with-current-buffer buffer
                         (llm--replace-region-text
                          start end (if processor (funcall processor text start)
                                      text)))))))
      (llm-chat-streaming provider prompt
                          update
                          (lambda (text)
                            (funcall update text)
                            (funcall finish-callback))
                          (lambda (type message)
                            (signal type (list message)))))))

(provide 'llm)
;;; llm.el ends here
