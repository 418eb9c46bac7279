;;; llm-native-provider-test.el --- ERT tests of llm's provider methods on llm-native  -*- lexical-binding: t; -*-

;;; Commentary:

;; URLs, headers and keys come from llm's generic functions: a user's
;; provider subclass with its own methods reaches the fake server with its
;; own values.  `llm-models' is served natively for every type llm lists
;; models for.  Errors a client sees are in llm's error tree.  The Vertex
;; token comes from a fake `gcloud' on PATH and is refreshed after an hour.
;; Runs in either mode: llm-native's stand-in llm (as CI runs it) or beside
;; the real llm package (-L to its checkout ahead of the project).

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'json)
(require 'llm-native)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)
(require 'llm-native-test-util)

(setq llm-warn-on-nonfree nil)

;;;; Helpers

(defun llm-native-provider-test--json (object)
  "Return OBJECT (alists and vectors) as a JSON string."
  (decode-coding-string (json-serialize object) 'utf-8))

(defconst llm-native-provider-test--chat-body
  (llm-native-provider-test--json
   '((choices . [((index . 0) (message . ((role . "assistant") (content . "gateway says hi")))
                  (finish_reason . "stop"))])
     (usage . ((prompt_tokens . 5) (completion_tokens . 3)))))
  "A non-streaming Chat Completions answer.")

(defconst llm-native-provider-test--gemini-body
  (llm-native-provider-test--json
   '((candidates . [((content . ((role . "model") (parts . [((text . "vertex says hi"))])))
                     (finishReason . "STOP"))])
     (usageMetadata . ((promptTokenCount . 5) (candidatesTokenCount . 3)))))
  "A non-streaming Gemini answer.")

(defconst llm-native-provider-test--claude-body
  (llm-native-provider-test--json
   '((type . "message") (role . "assistant")
     (content . [((type . "text") (text . "claude says hi"))])
     (stop_reason . "end_turn")
     (usage . ((input_tokens . 5) (output_tokens . 3)))))
  "A non-streaming Anthropic answer.")

(defun llm-native-provider-test--requests (base)
  "The requests recorded under the scenario BASE."
  (llm-native-test-requests base))

(defun llm-native-provider-test--header (request name)
  "The header NAME (lower case) of the recorded REQUEST."
  (alist-get (intern name) (alist-get 'headers request)))

(defvar llm-native-provider-test--programs nil
  "Programs started while `llm-native-provider-test--recording-programs' ran.")

(defun llm-native-provider-test--record-make-process (&rest args)
  "Record the program of a `make-process' call with ARGS."
  (push (car (plist-get args :command)) llm-native-provider-test--programs))

(defun llm-native-provider-test--record-program (program &rest _)
  "Record PROGRAM, started by `start-process', `call-process' and the like."
  (push program llm-native-provider-test--programs))

(defmacro llm-native-provider-test--recording-programs (&rest body)
  "Run BODY; return the list of programs it started (process names of commands)."
  (declare (indent 0) (debug t))
  `(progn
     (setq llm-native-provider-test--programs nil)
     (advice-add 'make-process :before #'llm-native-provider-test--record-make-process)
     (advice-add 'start-process :before #'llm-native-provider-test--record-program)
     (advice-add 'call-process :before #'llm-native-provider-test--record-program)
     (unwind-protect (progn ,@body)
       (advice-remove 'make-process #'llm-native-provider-test--record-make-process)
       (advice-remove 'start-process #'llm-native-provider-test--record-program)
       (advice-remove 'call-process #'llm-native-provider-test--record-program))
     llm-native-provider-test--programs))

(defun llm-native-provider-test--curl-p (programs)
  "Return non-nil when PROGRAMS names curl."
  (cl-some (lambda (program) (and (stringp program)
                                  (equal (file-name-nondirectory program) "curl")))
           programs))

;;;; Provider subclasses with their own methods

(cl-defstruct (llm-native-provider-test-gateway (:include llm-openai-compatible))
  "An OpenAI-compatible gateway with its own chat URL and headers.
ROUTE is the server root the URL is built on."
  route)

(cl-defmethod llm-provider-chat-url ((provider llm-native-provider-test-gateway))
  "Return the gateway PROVIDER's own chat URL."
  (concat (llm-native-provider-test-gateway-route provider) "/gateway/v2/complete?team=emacs"))

(cl-defmethod llm-provider-embedding-url ((provider llm-native-provider-test-gateway)
                                          &optional _batch)
  "Return the gateway PROVIDER's own embedding URL."
  (concat (llm-native-provider-test-gateway-route provider) "/gateway/v2/embed"))

(cl-defmethod llm-provider-headers ((_ llm-native-provider-test-gateway))
  "Return the gateway's own headers: its token and a routing tag."
  '(("Authorization" . "Bearer gateway-token") ("X-Gateway-Route" . "blue")))

(ert-deftest llm-native-provider-subclass-url-and-headers ()
  "A subclass's own URL and headers reach the server, for chat and streaming."
  (let* ((base (llm-native-test-scenario (list :body llm-native-provider-test--chat-body)))
         (provider (make-llm-native-provider-test-gateway
                    :route base :url "http://unused.invalid/v1/" :chat-model "m"))
         (programs nil))
    (setq programs
          (llm-native-provider-test--recording-programs
            (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "gateway says hi"))))
    (should-not (llm-native-provider-test--curl-p programs))
    (let ((request (car (last (llm-native-provider-test--requests base)))))
      (should (equal (alist-get 'path request) "/gateway/v2/complete?team=emacs"))
      (should (equal (llm-native-provider-test--header request "authorization")
                     "Bearer gateway-token"))
      (should (equal (llm-native-provider-test--header request "x-gateway-route") "blue"))))
  ;; Streaming uses llm's default streaming URL, the subclass's chat URL.
  (let* ((base (llm-native-test-scenario (list :fixture "openai-chat/text-usage.sse")))
         (provider (make-llm-native-provider-test-gateway :route base :chat-model "m"))
         (programs nil)
         (outcome nil))
    (setq programs (llm-native-provider-test--recording-programs
                     (setq outcome (llm-native-test-chat
                                    provider (llm-make-chat-prompt "hi") t))))
    (should-not (plist-get outcome :error))
    (should (stringp (plist-get outcome :result)))
    (should-not (llm-native-provider-test--curl-p programs))
    (let ((request (car (last (llm-native-provider-test--requests base)))))
      (should (equal (alist-get 'path request) "/gateway/v2/complete?team=emacs"))
      (should (equal (llm-native-provider-test--header request "x-gateway-route") "blue"))))
  ;; Embeddings too.
  (let* ((base (llm-native-test-scenario
                (list :body (llm-native-provider-test--json
                             '((data . [((index . 0) (embedding . [0.5 0.25]))]))))))
         (provider (make-llm-native-provider-test-gateway :route base :embedding-model "e")))
    (should (equal (append (llm-embedding provider "x") nil) '(0.5 0.25)))
    (should (equal (alist-get 'path (car (last (llm-native-provider-test--requests base))))
                   "/gateway/v2/embed"))))

(defvar llm-native-provider-test--around-calls 0
  "How often the gateway's own :around method of `llm-chat-async' ran.")

(cl-defmethod llm-chat-async :around ((_ llm-native-provider-test-gateway) _prompt
                                      _response-callback _error-callback
                                      &optional _multi-output)
  "Count the call, then run the other methods."
  (cl-incf llm-native-provider-test--around-calls)
  (cl-call-next-method))

(ert-deftest llm-native-provider-subclass-methods-per-type ()
  "A subclass's own :around method runs for it alone, whichever type came first.
cl-generic caches methods per dispatch tag; one tag for every served
type would give every type the methods of the first one called."
  (let* ((base (llm-native-test-scenario (list :body llm-native-provider-test--chat-body)))
         (plain (make-llm-openai-compatible :url (concat base "/v1/") :chat-model "m"))
         (gateway (make-llm-native-provider-test-gateway :route base :chat-model "m"))
         (chat (lambda (provider)
                 (let ((result nil))
                   (llm-chat-async provider (llm-make-chat-prompt "hi")
                                   (lambda (r) (setq result r))
                                   (lambda (_ m) (setq result (list 'error m))))
                   (llm-native-test-wait-until (lambda () result))
                   result))))
    (setq llm-native-provider-test--around-calls 0)
    (should (equal (funcall chat plain) "gateway says hi"))
    (should (= llm-native-provider-test--around-calls 0))
    (should (equal (funcall chat gateway) "gateway says hi"))
    (should (= llm-native-provider-test--around-calls 1))
    (should (equal (funcall chat plain) "gateway says hi"))
    (should (= llm-native-provider-test--around-calls 1))
    (should (equal (mapcar (lambda (r) (alist-get 'path r)) (llm-native-test-requests base))
                   '("/v1/chat/completions" "/gateway/v2/complete?team=emacs"
                     "/v1/chat/completions")))))

(cl-defstruct (llm-native-provider-test-claude-proxy (:include llm-claude))
  "A Claude subclass that talks to a proxy at ROUTE."
  route)

(cl-defmethod llm-provider-chat-url ((provider llm-native-provider-test-claude-proxy))
  "Return the proxy PROVIDER's Messages URL."
  (concat (llm-native-provider-test-claude-proxy-route provider) "/proxy/v1/messages"))

(cl-defmethod llm-provider-headers ((provider llm-native-provider-test-claude-proxy))
  "Return llm's Claude headers and the proxy's own."
  (append (cl-call-next-method provider) '(("X-Proxy-Tenant" . "t-42"))))

(ert-deftest llm-native-provider-subclass-of-fixed-url-type ()
  "A subclass of a type with a fixed URL (Claude) is served at its own URL."
  (let* ((base (llm-native-test-scenario (list :body llm-native-provider-test--claude-body)))
         (provider (make-llm-native-provider-test-claude-proxy
                    :route base :key "ck-proxy" :chat-model "claude-sonnet-4-5"))
         (llm-native-url-overrides nil))
    (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "claude says hi"))
    (let ((request (car (last (llm-native-provider-test--requests base)))))
      (should (equal (alist-get 'path request) "/proxy/v1/messages"))
      (should (equal (llm-native-provider-test--header request "x-api-key") "ck-proxy"))
      (should (equal (llm-native-provider-test--header request "anthropic-version") "2023-06-01"))
      (should (equal (llm-native-provider-test--header request "x-proxy-tenant") "t-42")))))

(cl-defstruct (llm-native-provider-test-gemini-gateway (:include llm-gemini))
  "A Gemini subclass whose URLs carry the key in the query string, as llm's do."
  route)

(cl-defmethod llm-provider-chat-url ((provider llm-native-provider-test-gemini-gateway))
  "Return the gateway PROVIDER's generateContent URL with llm's key parameter."
  (format "%s/gw/v1beta/models/%s:generateContent?key=%s&tag=x"
          (llm-native-provider-test-gemini-gateway-route provider)
          (llm-gemini-chat-model provider)
          (let ((key (llm-gemini-key provider))) (if (functionp key) (funcall key) key))))

(ert-deftest llm-native-provider-gemini-key-leaves-url ()
  "A Gemini URL's key parameter travels as the x-goog-api-key header instead."
  (let* ((base (llm-native-test-scenario (list :body llm-native-provider-test--gemini-body)))
         (provider (make-llm-native-provider-test-gemini-gateway
                    :route base :key "gk-gw" :chat-model "gemini-2.5-flash")))
    (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "vertex says hi"))
    (let ((request (car (last (llm-native-provider-test--requests base)))))
      (should (equal (alist-get 'path request)
                     "/gw/v1beta/models/gemini-2.5-flash:generateContent?tag=x"))
      (should (equal (llm-native-provider-test--header request "x-goog-api-key") "gk-gw")))))

(ert-deftest llm-native-provider-url-overrides-keep-paths ()
  "`llm-native-url-overrides' replaces the base of the URL llm's methods build."
  (let* ((base "http://127.0.0.1:9/s/tok")
         (llm-native-url-overrides (list (cons 'llm-azure base) (cons 'llm-claude base)
                                         (cons 'llm-ollama base))))
    (should (equal (llm-native--redirect
                    (make-llm-azure :url "https://r.openai.azure.com" :chat-model "d")
                    "https://r.openai.azure.com/openai/deployments/d/chat/completions?v=1")
                   (concat base "/openai/deployments/d/chat/completions?v=1")))
    (should (equal (llm-native--redirect (make-llm-claude :key "k")
                                         "https://api.anthropic.com/v1/messages")
                   (concat base "/v1/messages")))
    (should (equal (llm-native--redirect (make-llm-ollama :chat-model "m")
                                         "http://localhost:11434/api/chat")
                   (concat base "/api/chat")))
    ;; Types without an entry keep their URL.
    (should (equal (llm-native--redirect (make-llm-gemini :key "k") "https://g.example/x")
                   "https://g.example/x"))))

;;;; Header values

(ert-deftest llm-native-provider-header-values ()
  "Keys are trimmed, empty credentials are not sent, UTF-8 bytes are decoded."
  (should (equal (llm-native--clean-headers
                  (list '("Authorization" . "Bearer  sk-1 \n") '("api-key")
                        '("X-Empty" . "") '("Authorization" . "Bearer ")
                        (cons "X-Name" (encode-coding-string "clé" 'utf-8))))
                 '(("Authorization" . "Bearer sk-1") ("X-Name" . "clé"))))
  (let ((usual '(("x-api-key" . "k") ("anthropic-version" . "2023-06-01"))))
    (should (eq (llm-native--clean-headers usual) usual)))
  (should (equal (llm-native--gemini-key-to-header
                  (make-llm-gemini :key " gk \t") "https://h/m:x?alt=sse&key=other&b=2" nil)
                 '("https://h/m:x?alt=sse&b=2" ("x-goog-api-key" . "gk"))))
  (let* ((base (llm-native-test-scenario (list :body llm-native-provider-test--chat-body))))
    (llm-chat (make-llm-openai-compatible :url (concat base "/v1/") :key "  oc-key \n"
                                          :chat-model "m")
              (llm-make-chat-prompt "hi"))
    (llm-chat (make-llm-openai-compatible :url (concat base "/v1/") :key "" :chat-model "m")
              (llm-make-chat-prompt "hi"))
    (should (equal (mapcar (lambda (r) (llm-native-provider-test--header r "authorization"))
                           (llm-native-test-requests base))
                   '("Bearer oc-key" nil)))))

;;;; Model lists

(defun llm-native-provider-test--models (make override body)
  "List the models of the provider MAKE returns for a scenario answering BODY.
MAKE is called with the scenario's base URL; OVERRIDE is the type to
redirect there, or nil.  Return (MODELS PROGRAMS REQUEST)."
  (let* ((base (llm-native-test-scenario (list :body (llm-native-provider-test--json body))))
         (llm-native-url-overrides (and override (list (cons override base))))
         (provider (funcall make base))
         (models nil)
         (programs (llm-native-provider-test--recording-programs
                     (setq models (llm-models provider)))))
    (list models programs (car (last (llm-native-provider-test--requests base))))))

(ert-deftest llm-native-provider-models-per-type ()
  "`llm-models' is a native GET for every type llm lists models for."
  (pcase-dolist (`(,label ,make ,override ,body ,path ,header ,expected)
                 `(("openai" ,(lambda (_) (make-llm-openai :key "sk-1")) llm-openai
                    ((object . "list") (data . [((id . "gpt-4o") (object . "model"))
                                                ((id . "gpt-5.4-mini") (object . "model"))]))
                    "/v1/models" ("authorization" . "Bearer sk-1") ("gpt-4o" "gpt-5.4-mini"))
                   ("openai-compatible"
                    ,(lambda (base) (make-llm-openai-compatible :url (concat base "/v1/")
                                                                :key "oc-1"))
                    nil ((data . [((id . "qwen3:8b")) ((id . "llama3.1"))]))
                    "/v1/models" ("authorization" . "Bearer oc-1") ("qwen3:8b" "llama3.1"))
                   ("openai-compatible without key"
                    ,(lambda (base) (make-llm-openai-compatible :url base))
                    nil ((data . [((id . "local"))])) "/models" nil ("local"))
                   ("claude" ,(lambda (_) (make-llm-claude :key "ck-1")) llm-claude
                    ((data . [((id . "claude-sonnet-4-6") (type . "model"))])
                     (has_more . :false))
                    "/v1/models" ("x-api-key" . "ck-1") ("claude-sonnet-4-6"))
                   ("gemini" ,(lambda (_) (make-llm-gemini :key "gk-1")) llm-gemini
                    ((models . [((name . "models/gemini-2.5-flash"))
                                ((name . "models/gemini-embedding-001"))]))
                    "/v1beta/models/" ("x-goog-api-key" . "gk-1")
                    ("models/gemini-2.5-flash" "models/gemini-embedding-001"))
                   ("ollama" ,(lambda (_) (make-llm-ollama :chat-model "m")) llm-ollama
                    ((models . [((name . "llama3.1:latest") (size . 1))
                                ((name . "qwen3:8b") (size . 2))]))
                    "/api/tags" nil ("llama3.1:latest" "qwen3:8b"))
                   ("ollama-authed" ,(lambda (_) (make-llm-ollama-authed :key "ok-1"))
                    llm-ollama ((models . [((name . "a"))]))
                    "/api/tags" ("authorization" . "Bearer ok-1") ("a"))))
    (ert-info (label :prefix "provider: ")
      (pcase-let ((`(,models ,programs ,request)
                   (llm-native-provider-test--models make override body)))
        (should (equal models expected))
        (should-not (llm-native-provider-test--curl-p programs))
        (should (equal (alist-get 'method request) "GET"))
        (should (equal (alist-get 'path request) path))
        (when header
          (should (equal (llm-native-provider-test--header request (car header)) (cdr header))))
        ;; The Gemini key never travels in the URL.
        (should-not (string-search "key=" (alist-get 'path request)))))))

(ert-deftest llm-native-provider-models-errors ()
  "A failed model list signals llm's error symbols; Vertex keeps llm's method."
  (let* ((base (llm-native-test-scenario
                (list :status 401 :body (llm-native-provider-test--json
                                         '((error . ((message . "bad key")
                                                     (type . "invalid_request_error"))))))))
         (llm-native-url-overrides (list (cons 'llm-openai base)))
         (err (should-error (llm-models (make-llm-openai :key "sk-bad"))
                            :type 'llm-request-authentication-error)))
    (should (equal (cdr err) '("bad key"))))
  (let* ((base (llm-native-test-scenario (list :body "{\"unexpected\": true}")))
         (llm-native-url-overrides (list (cons 'llm-ollama base))))
    (should-error (llm-models (make-llm-ollama)) :type 'llm-request-error))
  ;; A missing key is found before any request, as for chat.
  (should-error (llm-models (make-llm-claude)) :type 'llm-provider-unconfigured)
  ;; llm lists no Vertex models: its own default answers (`not-implemented'
  ;; is not an `error'), also right after a served type's list.
  (should (eq (condition-case err
                  (llm-models (make-llm-vertex :project "p" :key "t" :key-gentime (current-time)))
                (t (car err)))
              'not-implemented)))

;;;; llm's error tree

(ert-deftest llm-native-provider-unsupported-input ()
  "Input the protocol cannot carry signals `llm-not-supported', an `llm-error'."
  (let* ((provider (make-llm-openai-compatible :url "http://127.0.0.1:9/v1/" :chat-model "m"))
         (pdf (make-llm-media :mime-type "application/pdf" :data "%PDF-1.4"))
         (prompt (lambda () (llm-make-chat-prompt (llm-make-multipart "Read this" pdf)))))
    (should-error (llm-chat-async provider (funcall prompt) #'ignore #'ignore)
                  :type 'llm-not-supported)
    (should-error (llm-chat-streaming provider (funcall prompt) #'ignore #'ignore #'ignore)
                  :type 'llm-not-supported)
    (should-error (llm-chat provider (funcall prompt)) :type 'llm-not-supported)
    ;; What a client's `llm-error' handler sees.
    (should (eq (condition-case nil (llm-chat provider (funcall prompt))
                  (llm-error 'handled))
                'handled))))

(ert-deftest llm-native-provider-bad-configuration ()
  "A provider without a usable URL or with values JSON cannot carry stays in llm's tree."
  ;; No URL at all: llm's own method fails on the nil slot.
  (should-error (llm-chat-async (make-llm-openai-compatible :chat-model "m")
                                (llm-make-chat-prompt "x") #'ignore #'ignore)
                :type 'llm-provider-unconfigured)
  (should-error (llm-chat-async (make-llm-openai-compatible :url "ftp://h/" :chat-model "m")
                                (llm-make-chat-prompt "x") #'ignore #'ignore)
                :type 'llm-provider-unconfigured)
  ;; Text that is not valid Unicode (a raw byte) cannot be sent as JSON.
  (should-error (llm-chat-async (make-llm-openai-compatible :url "http://127.0.0.1:9/"
                                                            :chat-model "m")
                                (llm-make-chat-prompt (string-to-unibyte "caf\351"))
                                #'ignore #'ignore)
                :type 'llm-invalid-argument))

(ert-deftest llm-native-provider-tool-error-in-llm-tree ()
  "A tool function's own error reaches the error callback as `llm-tool-call-error'."
  (let* ((base (llm-native-test-scenario (list :fixture "anthropic/tool-use.sse")))
         (llm-native-url-overrides (list (cons 'llm-claude base)))
         (provider (make-llm-claude :key "k" :chat-model "claude-sonnet-4-5"))
         (tools (list (llm-make-tool :name "get_weather"
                                     :function (lambda (&rest _) (car 'not-a-list))
                                     :args '((:name "location" :type string)
                                             (:name "unit" :type string)
                                             (:name "note" :type string :optional t)))
                      (llm-make-tool :name "get_time" :function (lambda () "noon"))))
         (err (plist-get (llm-native-test-chat
                          provider (llm-make-chat-prompt "x" :tools tools) t)
                         :error)))
    (should (eq (car err) 'llm-tool-call-error))
    (should (string-search "Wrong type argument" (format "%s" (cadr err))))))

(ert-deftest llm-native-provider-embedding-answer-of-another-shape ()
  "An embedding answer without vectors is `llm-request-error', never a hang."
  (dolist (body '("[1, 2]" "{\"data\": [{\"index\": 0}]}" "\"text\""))
    (ert-info (body :prefix "answer: ")
      (let* ((base (llm-native-test-scenario (list :body body)))
             (provider (make-llm-openai-compatible :url (concat base "/v1/")
                                                   :embedding-model "e"))
             (outcome nil))
        (should-error (llm-embedding provider "x") :type 'llm-request-error)
        (llm-embedding-async provider "x" (lambda (v) (setq outcome (list 'vector v)))
                             (lambda (symbol _) (setq outcome symbol)))
        (llm-native-test-wait-until (lambda () outcome))
        (should (eq outcome 'llm-request-error))))))

;;;; Vertex: the token from gcloud

(defun llm-native-provider-test--fake-gcloud (dir)
  "Write a fake gcloud into DIR that prints tok-N, N counting its runs."
  (let ((script (expand-file-name "gcloud" dir)))
    (with-temp-file script
      (insert "#!/bin/sh\n"
              "if [ \"$1 $2\" != \"auth print-access-token\" ]; then echo \"ERROR: args $*\"; exit 1; fi\n"
              "if [ -e \"" dir "/fail\" ]; then echo \"ERROR: (gcloud.auth) no account\"; exit 1; fi\n"
              "if [ -e \"" dir "/silent\" ]; then exit 0; fi\n"
              "n=$(cat \"" dir "/count\" 2>/dev/null || echo 0)\n"
              "n=$((n + 1))\n"
              "echo $n > \"" dir "/count\"\n"
              "echo tok-$n\n"))
    (set-file-modes script #o755)
    script))

(ert-deftest llm-native-provider-vertex-gcloud-token ()
  "Vertex gets its token from gcloud on PATH, reuses it, and refreshes it after an hour."
  (let* ((dir (make-temp-file "llm-native-gcloud" t))
         (exec-path (cons dir exec-path))
         (process-environment (cons (concat "PATH=" dir path-separator (getenv "PATH"))
                                    process-environment))
         (llm-vertex-gcloud-binary "gcloud")
         (base (llm-native-test-scenario (list :body llm-native-provider-test--gemini-body)))
         (llm-native-url-overrides (list (cons 'llm-vertex base)))
         (provider (make-llm-vertex :project "proj" :chat-model "gemini-2.5-flash"))
         (runs (lambda () (with-temp-buffer
                            (insert-file-contents (expand-file-name "count" dir))
                            (string-to-number (buffer-string)))))
         (last-auth (lambda () (llm-native-provider-test--header
                                (car (last (llm-native-provider-test--requests base)))
                                "authorization"))))
    (unwind-protect
        (progn
          (llm-native-provider-test--fake-gcloud dir)
          (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "vertex says hi"))
          (should (equal (funcall last-auth) "Bearer tok-1"))
          ;; Within the hour the token is reused: gcloud does not run again.
          (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "vertex says hi"))
          (should (equal (funcall last-auth) "Bearer tok-1"))
          (should (= (funcall runs) 1))
          ;; An hour later it is refreshed before the request.
          (setf (llm-vertex-key-gentime provider) (time-subtract nil 3700))
          (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "vertex says hi"))
          (should (equal (funcall last-auth) "Bearer tok-2"))
          (should (= (funcall runs) 2))
          (should (equal (alist-get 'path (car (last (llm-native-provider-test--requests base))))
                         "/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"))
          ;; gcloud's own error is llm's `llm-provider-error', before any request.
          (with-temp-file (expand-file-name "fail" dir))
          (setf (llm-vertex-key-gentime provider) (time-subtract nil 3700))
          (let ((count (length (llm-native-provider-test--requests base))))
            (should-error (llm-chat-async provider (llm-make-chat-prompt "hi") #'ignore #'ignore)
                          :type 'llm-provider-error)
            (should (= (length (llm-native-provider-test--requests base)) count))
            ;; gcloud printing nothing: no request goes out without a token.
            (delete-file (expand-file-name "fail" dir))
            (with-temp-file (expand-file-name "silent" dir))
            (setf (llm-vertex-key-gentime provider) (time-subtract nil 3700))
            (should-error (llm-chat-async provider (llm-make-chat-prompt "hi") #'ignore #'ignore)
                          :type 'llm-provider-error)
            (should (= (length (llm-native-provider-test--requests base)) count))))
      (delete-directory dir t))))

(provide 'llm-native-provider-test)

;;; llm-native-provider-test.el ends here
