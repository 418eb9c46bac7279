;;; llm-native-guard-test.el --- ERT tests of the dispatch guard, strict specs and secrets  -*- lexical-binding: t; -*-

;;; Commentary:

;; The Lisp side of a hostile or broken server and of careless callers,
;; against the fake provider server:
;;
;; - records and results Emacs cannot represent (an integer of 2^63, a NUL
;;   in a string, nesting deeper than Emacs parses) fail their request alone
;;   with `llm-native-protocol-error'; other requests carry on in the same
;;   dispatch; sync requests signal; a sync `llm-chat' signals rather than
;;   hangs;
;; - `quit' and `throw' out of a callback stop that request only;
;; - one dispatch does a bounded amount of work and yields;
;; - strict request specs, with messages that never quote a secret;
;; - no secret in messages, error data or a printed handle;
;; - a callback's error is reported; cancelling stops everything, also
;;   events already drained and results of async tools still running.
;;
;; "Held" tests let events pile up in the inbox without dispatching them
;; (`llm-native-guard-test--held'), then dispatch by hand: what one
;; dispatch does is then exact, not a matter of timing.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native)
(require 'llm-native-monitor)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)
(require 'llm-native-test-util)

(setq llm-warn-on-nonfree nil)

;;;; Helpers

(defun llm-native-guard-test--collect (url &rest args)
  "Request URL with ARGS; return a plist that fills as callbacks run.
Keys: :records (newest first), :done, :error (SYMBOL MESSAGE INFO),
:calls (number of callbacks run), :handle."
  (let ((state (list :records nil :done nil :error nil :calls 0)))
    (setq state
          (plist-put state :handle
                     (apply #'llm-native-request
                            :url url
                            :on-record (lambda (r)
                                         (plist-put state :calls (1+ (plist-get state :calls)))
                                         (plist-put state :records
                                                    (cons r (plist-get state :records))))
                            :on-done (lambda (info)
                                       (plist-put state :calls (1+ (plist-get state :calls)))
                                       (plist-put state :done info))
                            :on-error (lambda (symbol message info)
                                        (plist-put state :calls (1+ (plist-get state :calls)))
                                        (plist-put state :error (list symbol message info)))
                            args)))
    state))

(defmacro llm-native-guard-test--quietly (&rest body)
  "Run BODY with callback errors and quits handled as they are outside ERT.
ERT's debugger would otherwise take a quit, or an error whose message
starts with \"Boom\", before the runtime's guard; a failed `should'
still reaches ERT."
  (declare (indent 0) (debug t))
  `(let ((debug-on-quit nil)
         (debug-ignored-errors (cons "\\`Boom" debug-ignored-errors)))
     ,@body))

(defun llm-native-guard-test--finished (state)
  "Non-nil once STATE's request ran its terminal callback."
  (or (plist-get state :done) (plist-get state :error)))

(defun llm-native-guard-test--queued-p (state &optional kinds)
  "Return non-nil when the inbox has an event of STATE's request of one of KINDS.
KINDS defaults to the terminal kinds, done and error."
  (let ((id (llm-native-handle-id (plist-get state :handle)))
        (kinds (or kinds '(done error))))
    (cl-some (lambda (events)
               (cl-some (lambda (e) (and (eql (car e) id) (memq (cadr e) kinds))) events))
             llm-native--inbox)))

(defmacro llm-native-guard-test--held (&rest body)
  "Run BODY with dispatch held.
The pipe's filter drains events into the inbox but schedules no
dispatch, so BODY decides when and how one runs.  Every batch is
pulled, although the inbox is not empty (the runtime would leave the
rest in the module until the inbox was dispatched)."
  (declare (indent 0) (debug t))
  `(progn
     (when llm-native--timer (cancel-timer llm-native--timer) (setq llm-native--timer nil))
     (let ((llm-native--timer (timer-create)))
       (cl-letf (((symbol-function 'llm-native--drain) #'llm-native--drain-batch))
         ,@body))))

(defun llm-native-guard-test--ndjson (&rest lines)
  "A scenario URL serving LINES as one NDJSON body."
  (concat (llm-native-test-scenario
           (list :body (mapconcat (lambda (l) (concat l "\n")) lines "")
                 :content-type "application/x-ndjson"))
          "/x"))

(defconst llm-native-guard-test--unreadable
  (list (cons "an integer of 2^63" "{\"n\": 9223372036854775808}")
        (cons "a NUL in a string" "{\"s\": \"a\\u0000b\"}")
        (cons "nesting 3000 deep" (concat (make-string 3000 ?\[) (make-string 3000 ?\]))))
  "Records RapidJSON accepts and Emacs's `json-parse-string' refuses.")

(defun llm-native-guard-test--messages ()
  "The text of the *Messages* buffer."
  (with-current-buffer (messages-buffer) (buffer-string)))

;;;; 1. Records and results Emacs cannot represent

(ert-deftest llm-native-guard-unreadable-record-fails-its-request-alone ()
  "An unreadable record fails its request alone, with a protocol error.
In the same dispatch the other requests' events all run; the failed
request leaves the registry."
  (dolist (bad llm-native-guard-test--unreadable)
    (let (bad-state good-state)
      (llm-native-guard-test--held
        (setq bad-state (llm-native-guard-test--collect
                         (llm-native-guard-test--ndjson "{\"ok\": 1}" (cdr bad) "{\"ok\": 2}")
                         :format 'ndjson)
              good-state (llm-native-guard-test--collect
                          (llm-native-guard-test--ndjson "{\"ok\": 1}" "{\"ok\": 2}" "{\"ok\": 3}")
                          :format 'ndjson))
        (llm-native-test-wait-until
         (lambda () (and (llm-native-guard-test--queued-p bad-state)
                         (llm-native-guard-test--queued-p good-state))))
        ;; One dispatch, with time enough for everything.
        (let ((llm-native--dispatch-budget 60))
          (llm-native--dispatch-events)))
      (ert-info ((car bad) :prefix "Record: ")
        (should-not llm-native--inbox)
        (should (equal (plist-get good-state :done) '(:status 200)))
        (should (= 3 (length (plist-get good-state :records))))
        (should (equal (plist-get bad-state :records) '(((ok . 1)))))
        (should-not (plist-get bad-state :done))
        (should (eq (car (plist-get bad-state :error)) 'llm-native-protocol-error))
        (should (string-match-p "\\`Emacs cannot read\\|[Pp]arse\\|[Dd]epth\\|range\\|NUL\\|\\\\u0000\\|nest"
                                (nth 1 (plist-get bad-state :error))))
        (should-not (memq (plist-get bad-state :handle) (llm-native-running-requests)))
        (should (llm-native-handle-finished (plist-get bad-state :handle)))
        ;; Nothing more for the failed request, ever.
        (llm-native-test-settle 0.2)
        (should (= 2 (plist-get bad-state :calls)))))))

(ert-deftest llm-native-guard-unreadable-record-sync-signals ()
  "A synchronous request with an unreadable record signals, never returns success."
  (dolist (bad llm-native-guard-test--unreadable)
    (ert-info ((car bad) :prefix "Record: ")
      (should-error (llm-native-request-sync
                     :url (concat (llm-native-test-scenario (list :body (cdr bad))) "/x"))
                    :type 'llm-native-protocol-error)
      (should-error (llm-native-request-sync
                     :url (llm-native-guard-test--ndjson "[1]" (cdr bad)) :format 'ndjson)
                    :type 'llm-native-protocol-error))))

(defun llm-native-guard-test--ollama-tool-body (arguments streaming)
  "An Ollama answer calling get_weather with the JSON text ARGUMENTS.
STREAMING gives NDJSON lines, else one JSON object."
  (let ((call (format "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_weather\",\"arguments\":%s}}]},\"done\":%s%s}"
                      arguments (if streaming "false" "true")
                      (if streaming "" ",\"done_reason\":\"stop\",\"prompt_eval_count\":1,\"eval_count\":1"))))
    (if streaming
        (concat call "\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":1,\"eval_count\":1}\n")
      call)))

(ert-deftest llm-native-guard-unreadable-tool-arguments ()
  "Tool-call arguments Emacs cannot parse make sync `llm-chat' signal, not hang.
Streaming gets the error callback, and the tool never runs."
  (let* ((ran nil)
         (tools (list (llm-make-tool :name "get_weather" :description "Weather"
                                     :function (lambda (&rest _) (setq ran t) "warm")
                                     :args '((:name "city" :type string)
                                             (:name "n" :type integer :optional t)))))
         (provider (make-llm-ollama :chat-model "llama3.1")))
    (dolist (bad '("{\"city\":\"Paris\",\"n\":9223372036854775808}"
                   "{\"city\":\"a\\u0000b\"}"))
      (let ((llm-native-url-overrides
             (list (cons 'llm-ollama
                         (llm-native-test-scenario
                          (list :body (llm-native-guard-test--ollama-tool-body bad nil)))))))
        (with-timeout (15 (ert-fail "llm-chat hung on unreadable tool arguments"))
          (should-error (llm-chat provider (llm-make-chat-prompt "x" :tools tools))
                        :type 'llm-request-error)))
      (let ((llm-native-url-overrides
             (list (cons 'llm-ollama
                         (llm-native-test-scenario
                          (list :body (llm-native-guard-test--ollama-tool-body bad t)
                                :content-type "application/x-ndjson")))))
            (outcome nil))
        (llm-chat-streaming provider (llm-make-chat-prompt "x" :tools tools) #'ignore
                            (lambda (r) (setq outcome (list 'done r)))
                            (lambda (s m) (setq outcome (list 'error s m))))
        (llm-native-test-wait-until (lambda () outcome))
        (should (eq (car outcome) 'error))
        (should (eq (nth 1 outcome) 'llm-request-error))))
    (should-not ran)))

(ert-deftest llm-native-guard-llm-result-it-cannot-use ()
  "A chat result the llm layer fails to handle makes sync `llm-chat' signal.
It must not leave it waiting for a callback that never comes."
  (llm-native-guard-test--quietly
    (let* ((llm-native-url-overrides
            (list (cons 'llm-ollama
                        (llm-native-test-scenario
                         (list :body (llm-native-guard-test--ollama-tool-body
                                      "{\"city\":\"Paris\"}" nil))))))
           (tools (list (llm-make-tool :name "get_weather" :function #'ignore
                                       :args '((:name "city" :type string))))))
      (cl-letf (((symbol-function 'llm-native--tool-use-structs)
                 (lambda (&rest _) (error "Boom: broken tool calls"))))
        (with-timeout (15 (ert-fail "llm-chat hung"))
          (should-error (llm-chat (make-llm-ollama :chat-model "llama3.1")
                                  (llm-make-chat-prompt "x" :tools tools))
                        :type 'llm-request-error))))))

;;;; 2. quit and throw out of a callback

(ert-deftest llm-native-guard-quit-in-callback-stops-only-its-request ()
  "A callback that quits stops its request: error callback, unregistered.
The other requests' events run in the same dispatch.  In a synchronous
wait the quit is passed on once the dispatch is over."
  (llm-native-guard-test--quietly
    (let (bad-state good-state quitted)
      (llm-native-guard-test--held
        (setq good-state (llm-native-guard-test--collect
                          (llm-native-guard-test--ndjson "[1]" "[2]" "[3]") :format 'ndjson))
        (let* ((state (list :calls 0))
               (handle (llm-native-request
                        :url (llm-native-guard-test--ndjson "[1]" "[2]" "[3]") :format 'ndjson
                        :on-record (lambda (_)
                                     (plist-put state :calls (1+ (plist-get state :calls)))
                                     (signal 'quit nil))
                        :on-done (lambda (_) (plist-put state :done t))
                        :on-error (lambda (symbol message _)
                                    (plist-put state :error (list symbol message))))))
          (setq bad-state (plist-put state :handle handle)))
        (llm-native-test-wait-until
         (lambda () (and (llm-native-guard-test--queued-p bad-state)
                         (llm-native-guard-test--queued-p good-state))))
        ;; Quitting is allowed here (as in a synchronous wait): the quit comes out,
        ;; after the whole inbox ran.
        (let ((llm-native--dispatch-budget 60))
          (setq quitted (condition-case nil (progn (llm-native--dispatch-events) nil) (quit t)))))
      (should quitted)
      (should-not llm-native--inbox)
      (should (equal (plist-get good-state :done) '(:status 200)))
      (should (= 3 (length (plist-get good-state :records))))
      (should (= 1 (plist-get bad-state :calls)))
      (should-not (plist-get bad-state :done))
      (should (eq (car (plist-get bad-state :error)) 'llm-native-cancelled))
      (should-not (memq (plist-get bad-state :handle) (llm-native-running-requests))))
    ;; From the timer (quitting inhibited): nothing escapes, the others finish.
    (let* ((calls 0) (err nil)
           (bad (llm-native-request :url (llm-native-guard-test--ndjson "[1]" "[2]") :format 'ndjson
                                    :on-record (lambda (_) (cl-incf calls) (signal 'quit nil))
                                    :on-error (lambda (s _m _i) (setq err s))))
           (good (llm-native-guard-test--collect (llm-native-guard-test--ndjson "[1]" "[2]")
                                                 :format 'ndjson)))
      (llm-native-test-wait-until (lambda () (and err (llm-native-guard-test--finished good))))
      (should (eq err 'llm-native-cancelled))
      (should (= calls 1))
      (should (= 2 (length (plist-get good :records))))
      (should-not (memq bad (llm-native-running-requests))))))

(ert-deftest llm-native-guard-throw-from-callback-stops-only-its-request ()
  "A callback that throws past the dispatch stops its request alone.
Its error callback runs later; the rest of the inbox is dispatched from
a timer."
  (llm-native-guard-test--quietly
    (let (bad-state good-state (calls 0) thrown)
      (llm-native-guard-test--held
        (setq good-state (llm-native-guard-test--collect
                          (llm-native-guard-test--ndjson "[1]" "[2]" "[3]") :format 'ndjson))
        (let ((state (list :calls 0)))
          (setq bad-state
                (plist-put state :handle
                           (llm-native-request
                            :url (llm-native-guard-test--ndjson "[1]" "[2]" "[3]") :format 'ndjson
                            :on-record (lambda (_) (cl-incf calls)
                                         (throw 'llm-native-guard-test--tag 'thrown))
                            :on-done (lambda (_) (plist-put state :done t))
                            :on-error (lambda (symbol message _)
                                        (plist-put state :error (list symbol message)))))))
        (llm-native-test-wait-until
         (lambda () (and (llm-native-guard-test--queued-p bad-state)
                         (llm-native-guard-test--queued-p good-state))))
        (let ((llm-native--dispatch-budget 60))
          (setq thrown (catch 'llm-native-guard-test--tag (llm-native--dispatch-events) 'returned))))
      ;; Dispatch held no more: nothing rings the doorbell again, so the rest
      ;; of the inbox must already be scheduled.
      (should (eq thrown 'thrown))
      (llm-native-test-wait-until (lambda () (and (llm-native-guard-test--finished good-state)
                                                  (plist-get bad-state :error))))
      (should (equal (plist-get good-state :done) '(:status 200)))
      (should (= 3 (length (plist-get good-state :records))))
      (should (= calls 1))
      (should (eq (car (plist-get bad-state :error)) 'llm-native-cancelled))
      (should-not (memq (plist-get bad-state :handle) (llm-native-running-requests)))
      (llm-native-test-settle 0.2)
      (should (= calls 1))
      (should-not (plist-get bad-state :done)))))

;;;; 3. Bounded dispatch

(ert-deftest llm-native-guard-dispatch-yields ()
  "A dispatch stops when its time is spent; the rest runs from later timers.
In order, and letting other timers run in between."
  (let* ((lines (mapcar (lambda (i) (format "[%d]" i)) (number-sequence 1 200)))
         state ticked)
    (llm-native-guard-test--held
      (setq state (apply #'llm-native-guard-test--collect
                         (apply #'llm-native-guard-test--ndjson lines) '(:format ndjson)))
      (llm-native-test-wait-until (lambda () (llm-native-guard-test--queued-p state)))
      (let ((llm-native--dispatch-budget 0))
        (llm-native--dispatch-events)
        ;; At least one event per dispatch, and no more once the time is spent.
        (should (= 1 (length (plist-get state :records))))
        (should llm-native--inbox)
        (should llm-native--timer)
        (run-at-time 0 nil (lambda () (setq ticked (length (plist-get state :records)))))
        (llm-native-test-wait-until (lambda () (llm-native-guard-test--finished state)))))
    (should ticked)
    (should (< ticked 200))
    (should (equal (reverse (plist-get state :records))
                   (mapcar (lambda (i) (vector i)) (number-sequence 1 200))))
    (should (equal (plist-get state :done) '(:status 200)))))

(ert-deftest llm-native-guard-order-kept-across-nested-waits-in-slices ()
  "Records arrive in order with one event per dispatch and nested waits.
A callback waits on a synchronous request."
  (let* ((llm-native--dispatch-budget 0)
         (base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 40) :chunk 500 :delay-ms 10)))
         (slow (llm-native-test-scenario (list :body "[]" :first-byte-delay-ms 100)))
         (plain (llm-native-guard-test--collect (concat base "/a") :format 'sse))
         (records nil))
    (llm-native-request
     :url (concat base "/b") :format 'sse
     :on-record (lambda (r)
                  (push (plist-get r :data) records)
                  (when (memq (length records) '(1 5))
                    (llm-native-request-sync :url (concat slow "/x"))))
     :on-done (lambda (_) (push 'done records)))
    (llm-native-test-wait-until (lambda () (and (eq (car records) 'done)
                                                (llm-native-guard-test--finished plain)))
                                20)
    (should (equal (reverse (cdr records))
                   (mapcar (lambda (r) (plist-get r :data))
                           (reverse (plist-get plain :records)))))))

;;;; 4. Strict specs

(defun llm-native-guard-test--spec-error (&rest args)
  "The error `llm-native-request' signals for ARGS.
A valid :url is added unless ARGS has one."
  (let ((err (should-error (apply #'llm-native-request
                                  (append args (unless (plist-member args :url)
                                                 (list :url "http://127.0.0.1:1/x"))))
                           :type 'llm-native-invalid-spec)))
    (should (stringp (cadr err)))
    (should (= 2 (length err)))         ; the message alone: no caller value in the data
    err))

(ert-deftest llm-native-guard-strict-specs ()
  "Bad keys, headers, URLs and methods signal `llm-native-invalid-spec' at once.
The message names the header but never its value."
  (let ((registered (length (llm-native-running-requests))))
    ;; Unknown keys, odd-length plists.
    (should (string-match-p ":urll" (cadr (llm-native-guard-test--spec-error :urll "x"))))
    (llm-native-guard-test--spec-error :format)
    (should-error (llm-native-request-sync :url "http://127.0.0.1:1/x" :on-record #'ignore)
                  :type 'llm-native-invalid-spec)
    (should-error (llm-native--chat-request :url "http://127.0.0.1:1/x" :dialect "ollama"
                                          :body "{}" :format 'sse)
                  :type 'llm-native-invalid-spec)
    (should-error (llm-native--chat-request :url "http://127.0.0.1:1/x" :dialect "ollama"
                                          :headers '(("Authorization" . 42)) :body "{}")
                  :type 'llm-native-invalid-spec)
    ;; Header values must be strings; the message names the header.
    (dolist (value '(nil 42 (l m) sk-SYMBOL-SECRET))
      (let ((err (llm-native-guard-test--spec-error :headers (list (cons "X-Api-Key" value)))))
        (should (string-match-p "X-Api-Key" (cadr err)))
        (should-not (string-match-p "SECRET" (format "%S" err)))))
    ;; Header names are tokens.
    (dolist (name '("Bad Name" "Bad:Name" "" "Bad\nName" "Näme"))
      (llm-native-guard-test--spec-error :headers (list (cons name "v"))))
    (llm-native-guard-test--spec-error :headers '("Authorization: Bearer x"))
    (llm-native-guard-test--spec-error :headers '(("A" . "b") . "c"))
    ;; NUL, CR and LF anywhere.
    (dolist (value '("Bearer sk-SECRET\nX-Evil: 1" "Bearer sk-SECRET\r" "Bearer sk-\0SECRET"))
      (let ((err (llm-native-guard-test--spec-error
                  :headers (list (cons "Authorization" value)))))
        (should (string-match-p "Authorization" (cadr err)))
        (should-not (string-match-p "SECRET" (format "%S" err)))))
    (dolist (url '("http://127.0.0.1:1/x\0y" "http://127.0.0.1:1/x\r\nHost: evil"
                   "http://127.0.0.1:1/x?key=SECRET\n"))
      (should-not (string-match-p "SECRET" (format "%S" (llm-native-guard-test--spec-error
                                                         :url url)))))
    (dolist (method '("GET\0" "PO ST" "GET\r\nX: y" 42))
      (llm-native-guard-test--spec-error :method method))
    (llm-native-guard-test--spec-error :proxy "http://127.0.0.1:1\n")
    (llm-native-guard-test--spec-error :body 42)
    ;; Nothing was started by any of these.
    (should (= registered (length (llm-native-running-requests))))))

;;;; 5. Secrets

(ert-deftest llm-native-guard-secrets-never-printed ()
  "No key, password or query appears in messages, data, lists or printed handles.
Also error data and the request list."
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect "openai-chat" :tokens 300 :interval-ms 10))))
         (url (replace-regexp-in-string
               "\\`http://" "http://user:PASSWORD-1@" (concat base "/v1/chat?key=QUERY-SECRET-2")))
         (captured "sk-CAPTURED-SECRET-3")
         (state (llm-native-guard-test--collect
                 url :format 'sse
                 :headers '(("Authorization" . "Bearer sk-HEADER-SECRET-4"))
                 :on-done (lambda (_) captured)))
         (handle (plist-get state :handle))
         (secrets '("PASSWORD-1" "QUERY-SECRET-2" "sk-CAPTURED-SECRET-3" "sk-HEADER-SECRET-4"))
         (printed nil))
    (llm-native-test-wait-until (lambda () (plist-get state :records)))
    (should (equal (llm-native-handle-url handle)
                   (concat base "/v1/chat")))
    (push (prin1-to-string handle) printed)
    (push (cl-prin1-to-string handle) printed)
    (push (format "%S" (llm-native-running-requests)) printed)
    (push (with-output-to-string (pp handle)) printed)
    (let ((print-circle t) (print-gensym t)) (push (prin1-to-string handle) printed))
    (save-window-excursion
      (llm-native-list-requests)
      (push (with-current-buffer "*llm-native requests*" (buffer-string)) printed))
    (llm-native-cancel handle)
    (dolist (text printed)
      (should-not (string-match-p "closure\\|lambda" text))
      (dolist (secret secrets)
        (should-not (string-search secret text)))))
  ;; An error body that echoes the key, and a URL with a query: masked.
  (let* ((key "sk-ECHOED-SECRET-5")
         (base (llm-native-test-scenario
                (list :status 401
                      :body (format "{\"error\": {\"message\": \"Incorrect API key: %s\"}}" key))))
         (state (llm-native-guard-test--collect
                 (concat base "/x?token=QUERY-SECRET-6")
                 :headers (list (cons "Authorization" (concat "Bearer " key))))))
    (llm-native-test-wait-until (lambda () (llm-native-guard-test--finished state)))
    (should (eq (car (plist-get state :error)) 'llm-native-http-error))
    (should (string-match-p "<redacted>" (nth 1 (plist-get state :error))))
    (should-not (string-search key (format "%S" (plist-get state :error)))))
  ;; The scheme error names the scheme only.
  (let ((err (should-error (llm-native-request :url "ftp://user:PASSWORD-7@h/x?k=QUERY-SECRET-8")
                           :type 'llm-native-invalid-spec)))
    (should (string-match-p "ftp:" (cadr err)))
    (should-not (string-match-p "SECRET\\|PASSWORD" (format "%S" err))))
  (dolist (secret '("PASSWORD-1" "QUERY-SECRET-2" "sk-CAPTURED-SECRET-3" "sk-HEADER-SECRET-4"
                    "sk-ECHOED-SECRET-5" "QUERY-SECRET-6" "PASSWORD-7" "QUERY-SECRET-8"))
    (should-not (string-search secret (llm-native-guard-test--messages)))))

(ert-deftest llm-native-guard-key-trimmed ()
  "A key read from a file with a trailing newline is sent trimmed.
No error and no message shows it."
  (let* ((base (llm-native-test-scenario (list :fixture "anthropic/text.sse")))
         (llm-native-url-overrides (list (cons 'llm-claude base)))
         (provider (make-llm-claude :key "  ck-TRIMMED-SECRET\n" :chat-model "claude-sonnet-4-5"))
         (result nil))
    (llm-chat-streaming provider (llm-make-chat-prompt "Hi") #'ignore
                        (lambda (r) (setq result (list 'done r)))
                        (lambda (s m) (setq result (list 'error s m))))
    (llm-native-test-wait-until (lambda () result))
    (should (eq (car result) 'done))
    (should (equal (alist-get 'x-api-key (alist-get 'headers (car (llm-native-test-requests base))))
                   "ck-TRIMMED-SECRET"))
    (should-not (string-search "ck-TRIMMED-SECRET" (llm-native-guard-test--messages)))))

;;;; 6. Issue 18: a callback's error is reported; cancel stops everything

(ert-deftest llm-native-guard-callback-error-is-reported ()
  "An error in a callback is shown with `display-warning', naming the request."
  (llm-native-guard-test--quietly
    (let* ((warnings nil)
           (handle (cl-letf (((symbol-function 'display-warning)
                              (lambda (type message &optional level _buffer)
                                (push (list type message level) warnings))))
                     (let ((h (llm-native-request
                               :url (concat (llm-native-test-scenario (list :body "[1]")) "/x")
                               :on-record (lambda (_) (error "Boom in the callback")))))
                       (llm-native-test-wait-until (lambda () (llm-native-handle-finished h)))
                       h))))
      (should (equal warnings
                     (list (list 'llm-native
                                 (format "Error in a callback of request %d: Boom in the callback"
                                         (llm-native-handle-id handle))
                                 :error)))))))

(ert-deftest llm-native-guard-cancel-drained-events ()
  "Cancel a request whose events were drained but not yet dispatched.
None of them runs, and the request leaves the registry at once."
  (let (state)
    (llm-native-guard-test--held
      (setq state (llm-native-guard-test--collect
                   (llm-native-guard-test--ndjson "[1]" "[2]" "[3]") :format 'ndjson))
      (llm-native-test-wait-until
       (lambda () (llm-native-guard-test--queued-p state '(record done))))
      (llm-native-cancel (plist-get state :handle))
      (should-not (memq (plist-get state :handle) (llm-native-running-requests)))
      (let ((llm-native--dispatch-budget 60))
        (llm-native--dispatch-events)))
    (llm-native-test-settle 0.2)
    (should (= 0 (plist-get state :calls)))
    (should-not (memq (plist-get state :handle) (llm-native-running-requests)))))

(ert-deftest llm-native-guard-cancel-during-async-tool ()
  "Call `llm-cancel-request' after the response arrived, while an async tool runs.
No callback runs afterwards, even when the tool returns, and the request is
not registered."
  (let* ((base (llm-native-test-scenario (list :fixture "ollama/chat-tool-calls.ndjson")))
         (llm-native-url-overrides (list (cons 'llm-ollama base)))
         (provider (make-llm-ollama :chat-model "llama3.1"))
         (tool-callback nil)
         (late nil)
         (tools (list (llm-make-tool :name "get_weather" :async t
                                     :function (lambda (callback &rest _)
                                                 (setq tool-callback callback))
                                     :args '((:name "city" :type string)
                                             (:name "unit" :type string)))
                      (llm-make-tool :name "get_time" :function (lambda () "noon"))))
         (handle (llm-chat-streaming provider (llm-make-chat-prompt "x" :tools tools)
                                     (lambda (_) nil)
                                     (lambda (r) (push (list 'done r) late))
                                     (lambda (s m) (push (list 'error s m) late)))))
    (llm-native-test-wait-until (lambda () tool-callback))
    (should (llm-native-handle-finished handle))      ; the response has arrived
    (llm-cancel-request handle)
    (funcall tool-callback "warm")
    (llm-native-test-settle 0.2)
    (should-not late)
    (should-not (memq handle (llm-native-running-requests)))))

(provide 'llm-native-guard-test)
;;; llm-native-guard-test.el ends here
