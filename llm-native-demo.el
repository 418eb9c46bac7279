;;; llm-native-demo.el --- Stream a chat answer through llm-native  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; `make demo' (tests/demo/run-demo.sh) runs this file.  It streams one chat
;; answer through `llm-chat-streaming' on the native engine and shows the
;; text as it arrives, then its figures: time to first token, tokens per
;; second, total time and the CPU time of Emacs's main thread.
;;
;; The provider comes from the environment: LLM_NATIVE_DEMO_PROVIDER
;; (openai, anthropic, gemini, ollama or fake) if set, else the first of
;; OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY and OLLAMA_HOST that is
;; set and not empty, else the project's fake provider server
;; (tests/server/fake_server.py), started on 127.0.0.1 for the demo and
;; stopped after it.  LLM_NATIVE_DEMO_MODEL picks the model;
;; LLM_NATIVE_DEMO_PACE_MS the fake server's delay between tokens.
;;
;; The demo talks through the llm API, so it needs the `llm' package (GNU
;; ELPA); `make demo' in a checkout loads the project's llm stand-in
;; instead (tests/llm-stand-in).  The fake provider server is only in a
;; checkout: an installed package needs one of the variables above.
;;
;; Three ways in:
;; - M-x llm-native-demo: the answer streams into the buffer
;;   "*llm-native demo*"; q quits it.
;; - `llm-native-demo-terminal' (in a terminal Emacs, -nw): the same, and
;;   q exits Emacs.
;; - `llm-native-demo-batch' (in batch mode): the answer goes to standard
;;   output as it arrives.
;; A failure is one line (on stderr in batch) and a non-zero exit status.

;;; Code:

(require 'cl-lib)
(require 'subr-x)
(require 'url-parse)
(require 'llm-native)

(defvar llm-warn-on-nonfree)

;; The llm API, loaded by `llm-native-demo--require-llm' when the demo runs.
(declare-function llm-chat-streaming "ext:llm")
(declare-function llm-make-chat-prompt "ext:llm")
(declare-function llm-cancel-request "ext:llm")
(declare-function make-llm-openai "ext:llm-openai")
(declare-function make-llm-openai-compatible "ext:llm-openai")
(declare-function llm-openai-chat-model "ext:llm-openai")
(declare-function make-llm-claude "ext:llm-claude")
(declare-function llm-claude-chat-model "ext:llm-claude")
(declare-function make-llm-gemini "ext:llm-gemini")
(declare-function llm-gemini-chat-model "ext:llm-gemini")
(declare-function make-llm-ollama "ext:llm-ollama")

(defun llm-native-demo--require-llm ()
  "Load the llm package and llm-native's integration, or say what is missing."
  (unless (require 'llm nil t)
    (error "The demo needs the llm package (from GNU ELPA); in a checkout, `make demo' runs without it"))
  (require 'llm-native-llm))

(defconst llm-native-demo--directory
  (file-name-directory (or load-file-name buffer-file-name default-directory))
  "The llm-native repository root (the directory holding llm-native.el).")

(defconst llm-native-demo-prompt
  (concat "Explain, in several paragraphs, how Emacs can show a language model's "
          "answer while the model is still writing it.  Include one sentence in "
          "French and one in Japanese.")
  "The question the demo asks.")

(defconst llm-native-demo--fake-answer
  "Emacs has always been a program that waits for text.  It waits for your keystrokes, for a compiler's output, for a mail server to answer, and it stays responsive while it waits because everything arrives through one event loop.  A language model that streams its answer fits that loop well: the answer comes as a long series of small pieces, and each piece can be put on the screen the moment it arrives.

With llm-native the waiting happens outside Lisp.  A worker thread written in C++ owns the network connection through libcurl.  It reads the server-sent events, cuts them into records, decodes the JSON of each provider, and joins the pieces of text, even when a multi-byte character such as é, 世 or 🚀 is split between two network packets.  Only then does it ring a small doorbell: one byte written to a pipe that Emacs watches.  The main thread wakes up, takes everything that is ready in a single call, and hands it to your callback from a timer, never from inside a process filter.

This is why the text you are reading now appears word by word while the cursor, the mode line and your keyboard keep working.  The main thread does very little: it copies a string it already owns and inserts the new part at the end of a buffer.  The figures printed after this answer show it: the CPU time of the main thread stays a small fraction of the total time, because most of that time is spent waiting for the next token, not computing.

En français, on dirait : « Emacs affiche la réponse au fur et à mesure qu'elle arrive, sans jamais bloquer l'éditeur. »  La même idée, en japonais : 「Emacs は、言語モデルの答えを受け取りながら少しずつ表示します。」  Both sentences travel through the same path as the English ones, and every byte is checked to be valid UTF-8 before it reaches a buffer.

The same machinery serves every provider the llm package knows: OpenAI, Anthropic, Gemini, Vertex and a local Ollama server.  Each has its own way of framing a stream and of saying that it has finished, and a stream that stops without its final signal is reported as an error instead of being shown as a complete answer.  Errors that arrive after the answer has started, such as an overloaded server, reach your error callback with the provider's own message.

Cancelling is just as cheap.  When you press C-g during a synchronous call, or when a package calls llm-cancel-request, the worker thread drops the transfer at once and no callback of that request runs afterwards.  Killing the buffer that asked the question does not break anything either: the callbacks then run in a temporary buffer, and the other requests in flight go on undisturbed.  Dozens of streams can run side by side, because they share one thread and one doorbell rather than one Lisp process filter each.

Packages built on the llm API, such as Ellama, need no change to use it.  They call llm-chat-streaming as before, and the answer arrives sooner and at a lower cost to the editor.  That is all there is to it: the network in its own thread, the text in your buffer, and Emacs free to do what it does best. ✨
"
  "The answer the fake provider server streams, before it is cut into tokens.")

(defun llm-native-demo--tokens (text)
  "Cut TEXT into the tokens the fake server streams.
A token is a word with the spaces and newlines after it; runs of
non-ASCII letters (Japanese has no spaces) are cut into pieces of
three characters, like a real tokenizer would."
  (let ((tokens nil) (start 0))
    (while (string-match "[^ \n]+[ \n]*" text start)
      (let ((word (match-string 0 text)))
        (setq start (match-end 0))
        (if (and (> (length word) 6) (string-match-p "[^[:ascii:]]\\{4\\}" word))
            (let ((i 0))
              (while (< i (length word))
                (push (substring word i (min (length word) (+ i 3))) tokens)
                (setq i (+ i 3))))
          (push word tokens))))
    (nreverse tokens)))

(defun llm-native-demo-fake-tokens ()
  "Return the tokens of the fake server's answer, in order."
  (llm-native-demo--tokens llm-native-demo--fake-answer))

(defun llm-native-demo-fake-answer ()
  "Return the whole answer the fake server streams."
  (apply #'concat (llm-native-demo-fake-tokens)))

;;;; Choosing the provider

(defun llm-native-demo--env (name)
  "Return the value of the environment variable NAME, or nil when unset or empty."
  (let ((value (getenv name)))
    (and value (not (string-empty-p (string-trim value))) (string-trim value))))

(defun llm-native-demo--provider-kind ()
  "Return the demo's provider kind.
That is `openai', `anthropic', `gemini', `ollama' or `fake'.
LLM_NATIVE_DEMO_PROVIDER decides when set; else the first of
OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY and OLLAMA_HOST
that is set; else the fake server."
  (let ((forced (llm-native-demo--env "LLM_NATIVE_DEMO_PROVIDER")))
    (cond
     (forced
      (let ((kind (intern (downcase forced))))
        (unless (memq kind '(openai anthropic gemini ollama fake))
          (error "LLM_NATIVE_DEMO_PROVIDER is %s; use openai, anthropic, gemini, ollama or fake"
                 forced))
        kind))
     ((llm-native-demo--env "OPENAI_API_KEY") 'openai)
     ((llm-native-demo--env "ANTHROPIC_API_KEY") 'anthropic)
     ((llm-native-demo--env "GEMINI_API_KEY") 'gemini)
     ((llm-native-demo--env "OLLAMA_HOST") 'ollama)
     (t 'fake))))

(defun llm-native-demo--require-env (name kind)
  "Return the value of NAME, or signal an error naming the provider KIND."
  (or (llm-native-demo--env name)
      (error "The %s provider needs %s to be set" kind name)))

(defun llm-native-demo--ollama-address ()
  "Return (SCHEME HOST PORT) of the Ollama server named by OLLAMA_HOST.
Accepts the forms Ollama does: HOST, HOST:PORT and SCHEME://HOST:PORT;
the defaults are http, 127.0.0.1 and 11434."
  (let* ((value (or (llm-native-demo--env "OLLAMA_HOST") "127.0.0.1:11434"))
         (url (url-generic-parse-url (if (string-match-p "://" value) value
                                       (concat "http://" value))))
         (host (url-host url)))
    (list (or (url-type url) "http")
          ;; 0.0.0.0 is how a server is told to listen everywhere; clients use loopback.
          (if (or (null host) (member host '("" "0.0.0.0"))) "127.0.0.1" host)
          (or (url-portspec url) 11434))))

(defun llm-native-demo--keyed-provider (make name var model-args model-of)
  "Return (PROVIDER . DESCRIPTION) for a provider whose key is in env VAR.
MAKE builds the provider from :key and MODEL-ARGS; NAME names the provider;
MODEL-OF returns the chat model of the provider MAKE built."
  (let ((p (apply make :key (llm-native-demo--require-env var name) model-args)))
    (cons p (format "%s (model %s, from %s)" name (funcall model-of p) var))))

(defun llm-native-demo--make-provider (kind model &optional base)
  "Return (PROVIDER . DESCRIPTION) for provider KIND with MODEL (nil: default).
BASE is the fake server's scenario URL when KIND is `fake'."
  (let ((model-args (and model (list :chat-model model))))
    (pcase kind
      ('openai
       (llm-native-demo--keyed-provider #'make-llm-openai "OpenAI" "OPENAI_API_KEY"
                                        model-args #'llm-openai-chat-model))
      ('anthropic
       (llm-native-demo--keyed-provider #'make-llm-claude "Anthropic" "ANTHROPIC_API_KEY"
                                        model-args #'llm-claude-chat-model))
      ('gemini
       (llm-native-demo--keyed-provider #'make-llm-gemini "Gemini" "GEMINI_API_KEY"
                                        model-args #'llm-gemini-chat-model))
      ('ollama
       (pcase-let ((`(,scheme ,host ,port) (llm-native-demo--ollama-address)))
         (cons (make-llm-ollama :scheme scheme :host host :port port
                                :chat-model (or model "llama3.2"))
               (format "Ollama at %s://%s:%s (model %s, from OLLAMA_HOST)"
                       scheme host port (or model "llama3.2")))))
      ('fake
       (cons (make-llm-openai-compatible :url (concat base "/") :key "demo"
                                         :chat-model (or model "llm-native-demo"))
             (format "the fake provider server on %s (no provider key set; %d tokens, %d ms apart)"
                     (replace-regexp-in-string "\\`http://\\|/s/.*\\'" "" base)
                     (length (llm-native-demo-fake-tokens)) (llm-native-demo--pace)))))))

;;;; The fake provider server

(defvar llm-native-demo--server nil "The fake server process the demo started, if any.")

(defun llm-native-demo--pace ()
  "Return the fake server's milliseconds between tokens.
That is LLM_NATIVE_DEMO_PACE_MS when set, else 25."
  (let ((value (llm-native-demo--env "LLM_NATIVE_DEMO_PACE_MS")))
    (if (and value (string-match-p "\\`[0-9]+\\'" value))
        (string-to-number value)
      25)))

(defun llm-native-demo--start-server ()
  "Start the fake provider server on 127.0.0.1 and return its port.
It exits with this Emacs (its stdin is a pipe from it) and after ten minutes."
  (llm-native-demo--stop-server)
  (let* ((script (expand-file-name "tests/server/fake_server.py" llm-native-demo--directory))
         (python (or (executable-find "python3")
                     (error "The fake provider server needs python3, which is not installed")))
         (buffer (generate-new-buffer " *llm-native-demo-server*"))
         (port nil))
    (unless (file-exists-p script)
      (error "The fake provider server is only in a checkout of llm-native; set one of OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY or OLLAMA_HOST"))
    (setq llm-native-demo--server
          (make-process :name "llm-native-demo-server" :buffer buffer :noquery t
                        :connection-type 'pipe
                        :command (list python script "--port" "0" "--lifetime" "600"
                                       "--exit-on-stdin-eof")
                        :stderr (get-buffer-create " *llm-native-demo-server-stderr*")))
    (let ((deadline (+ (float-time) 15)))
      (while (and (not port) (process-live-p llm-native-demo--server)
                  (< (float-time) deadline))
        (accept-process-output llm-native-demo--server 0.05)
        (with-current-buffer buffer
          (goto-char (point-min))
          (when (re-search-forward "^PORT \\([0-9]+\\)$" nil t)
            (setq port (string-to-number (match-string 1)))))))
    (unless port
      (let ((why (with-current-buffer " *llm-native-demo-server-stderr*"
                   (string-trim (buffer-string)))))
        (llm-native-demo--stop-server)
        (error "The fake provider server did not start%s"
               (if (string-empty-p why) "" (concat ": " why)))))
    port))

(defun llm-native-demo--stop-server ()
  "Stop the fake provider server if the demo started one."
  (when llm-native-demo--server
    (let ((process llm-native-demo--server))
      (setq llm-native-demo--server nil)
      (when (process-live-p process) (delete-process process))
      (when (buffer-live-p (process-buffer process)) (kill-buffer (process-buffer process))))))

(defun llm-native-demo--fake-scenario (port)
  "Register the demo's answer on the fake server at PORT; return its base URL."
  (let* ((scenario (json-serialize
                    `((generate . ((dialect . "openai-chat")
                                   (tokens . ,(length (llm-native-demo-fake-tokens)))
                                   (interval_ms . ,(llm-native-demo--pace))
                                   (text . ,(vconcat (llm-native-demo-fake-tokens))))))))
         (answer (condition-case err
                     (llm-native-request-sync
                      :url (format "http://127.0.0.1:%d/_control/scenario" port)
                      :headers '(("Content-Type" . "application/json"))
                      :body scenario :format 'json :timeout 15)
                   (error (error "The fake provider server at 127.0.0.1:%d is unreachable: %s"
                                 port (error-message-string err)))))
         (token (alist-get 'token (car (plist-get answer :records)))))
    (unless token (error "The fake provider server refused the scenario: %S" answer))
    (format "http://127.0.0.1:%d/s/%s" port token)))

;;;; One streamed chat and its figures

(cl-defstruct (llm-native-demo--run (:constructor llm-native-demo--make-run) (:copier nil))
  "The state of one demo chat."
  description start first-token end cpu-start cpu-end output-tokens
  (shown 0 :documentation "How many characters of the answer were shown.")
  text handle finished failure)

(defvar llm-native-demo--clock-ticks nil "Clock ticks per second of /proc times.")

(defun llm-native-demo--main-thread-cpu ()
  "Return the CPU seconds (user + system) of this Emacs's main thread, or nil.
Reads /proc/self/task/PID/stat, where the main thread's id is the PID."
  (let ((file (format "/proc/self/task/%d/stat" (emacs-pid))))
    (when (file-readable-p file)
      (unless llm-native-demo--clock-ticks
        (setq llm-native-demo--clock-ticks
              (or (ignore-errors (string-to-number (car (process-lines "getconf" "CLK_TCK"))))
                  100)))
      (let* ((stat (with-temp-buffer (insert-file-contents file) (buffer-string)))
             ;; The command name may hold spaces; the fields after it start at 3 (state).
             (fields (split-string (substring stat (1+ (cl-position ?\) stat :from-end t))))))
        (/ (+ (string-to-number (nth 11 fields)) (string-to-number (nth 12 fields)))
           (float llm-native-demo--clock-ticks))))))

(defun llm-native-demo--figures (run)
  "Return the figures of the finished RUN as a list of lines."
  (let* ((start (llm-native-demo--run-start run))
         (first (llm-native-demo--run-first-token run))
         (end (llm-native-demo--run-end run))
         (total (- end start))
         (tokens (llm-native-demo--run-output-tokens run))
         (generating (and first (- end first)))
         (cpu (and (llm-native-demo--run-cpu-start run) (llm-native-demo--run-cpu-end run)
                   (- (llm-native-demo--run-cpu-end run) (llm-native-demo--run-cpu-start run)))))
    (list
     (format "time to first token: %s"
             (if first (format "%.0f ms" (* 1000 (- first start))) "no text received"))
     (format "tokens per second:   %s"
             (cond ((not (numberp tokens)) "unknown (the provider reported no token count)")
                   ((and generating (> generating 0))
                    (format "%.1f (%d tokens in %.2f s)" (/ tokens generating) tokens generating))
                   (t (format "%d tokens, all at once" tokens))))
     (format "total time:          %.2f s" total)
     (format "main-thread CPU:     %s"
             (if cpu
                 (format "%.2f s (%.1f%% of the total time)" cpu
                         (if (> total 0) (* 100 (/ cpu total)) 0))
               "unknown (no /proc)")))))

(defun llm-native-demo--one-line (message)
  "Return MESSAGE on one line, with each run of whitespace made one space."
  (string-trim (replace-regexp-in-string "[ \t\n\r]+" " " message)))

(defun llm-native-demo--start (on-delta on-finish)
  "Choose the provider, start the streamed chat and return its run.
ON-DELTA is called with each new piece of the answer; ON-FINISH with
the run once it ended (its `failure' slot holds the error message, if
any).  Signals an error when the chat cannot start."
  (llm-native-demo--require-llm)
  (setq llm-warn-on-nonfree nil)
  (let ((llm-native-module-auto-compile
         (if (eq llm-native-module-auto-compile 'ask) 'never llm-native-module-auto-compile)))
    (when noninteractive (llm-native--ensure-module)))
  (let* ((kind (llm-native-demo--provider-kind))
         (base (and (eq kind 'fake)
                    (llm-native-demo--fake-scenario (llm-native-demo--start-server))))
         (made (llm-native-demo--make-provider kind (llm-native-demo--env "LLM_NATIVE_DEMO_MODEL")
                                               base))
         (run (llm-native-demo--make-run :description (cdr made)))
         (finish (lambda (failure)
                   (unless (llm-native-demo--run-finished run)
                     (setf (llm-native-demo--run-end run) (float-time)
                           (llm-native-demo--run-cpu-end run) (llm-native-demo--main-thread-cpu)
                           (llm-native-demo--run-failure run) failure
                           (llm-native-demo--run-finished run) t)
                     (llm-native-demo--stop-server)
                     (funcall on-finish run))))
         (show (lambda (text)
                 (when (and (stringp text)
                            (> (length text) (llm-native-demo--run-shown run)))
                   (unless (llm-native-demo--run-first-token run)
                     (setf (llm-native-demo--run-first-token run) (float-time)))
                   (let ((delta (substring text (llm-native-demo--run-shown run))))
                     (setf (llm-native-demo--run-shown run) (length text)
                           (llm-native-demo--run-text run) text)
                     (funcall on-delta delta))))))
    (setf (llm-native-demo--run-cpu-start run) (llm-native-demo--main-thread-cpu)
          (llm-native-demo--run-start run) (float-time))
    (setf (llm-native-demo--run-handle run)
          (llm-chat-streaming
           (car made) (llm-make-chat-prompt llm-native-demo-prompt)
           (lambda (partial) (funcall show (plist-get partial :text)))
           (lambda (result)
             (funcall show (plist-get result :text))
             (setf (llm-native-demo--run-output-tokens run) (plist-get result :output-tokens))
             (funcall finish nil))
           (lambda (_symbol message)
             (funcall finish (if (stringp message) message (format "%S" message))))
           t))
    run))

(defun llm-native-demo--failure-line (run)
  "Return the one-line failure message of RUN, naming its provider."
  (llm-native-demo--one-line
   (format "%s failed: %s" (llm-native-demo--run-description run)
           (llm-native-demo--run-failure run))))

;;;; Batch: standard output

(defun llm-native-demo--stdout (text)
  "Write TEXT to standard output as UTF-8 at once (`princ' would buffer it)."
  (send-string-to-terminal (encode-coding-string text 'utf-8)))

(defun llm-native-demo--fail-batch (message)
  "Print MESSAGE as one line on standard error and exit Emacs with status 1."
  (llm-native-demo--stop-server)
  (message "llm-native demo: %s" (llm-native-demo--one-line message))
  (kill-emacs 1))

(defun llm-native-demo-batch ()
  "Run the demo in batch mode: print the answer and its figures on stdout.
Exits Emacs with status 0 after a whole answer, 1 after a failure."
  (let ((run nil) (done nil))
    (condition-case err
        (progn
          (setq run (llm-native-demo--start
                     #'llm-native-demo--stdout
                     (lambda (_run) (setq done t))))
          ;; Callbacks run from timers only, so nothing was printed before this.
          (llm-native-demo--stdout
           (format "llm-native demo: streaming from %s\nPrompt: %s\n\n"
                   (llm-native-demo--run-description run) llm-native-demo-prompt))
          (while (not done) (accept-process-output nil 0.05)))
      (error (llm-native-demo--fail-batch (error-message-string err))))
    (if (llm-native-demo--run-failure run)
        (llm-native-demo--fail-batch (llm-native-demo--failure-line run))
      (llm-native-demo--stdout
       (concat (if (string-suffix-p "\n" (or (llm-native-demo--run-text run) "")) "" "\n")
               "--\n" (mapconcat #'identity (llm-native-demo--figures run) "\n") "\n"))
      (kill-emacs 0))))

;;;; Interactive: a buffer

(defvar llm-native-demo--exit-on-quit nil
  "Non-nil when q in the demo buffer exits Emacs (the `make demo' terminal).")

(defvar llm-native-demo--current nil "The run shown in the demo buffer.")

(defconst llm-native-demo-buffer-name "*llm-native demo*"
  "The name of the demo's buffer.")

(defvar llm-native-demo-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "q" #'llm-native-demo-quit)
    map)
  "Keymap of `llm-native-demo-mode'.")

(define-derived-mode llm-native-demo-mode special-mode "llm-native-demo"
  "Major mode of the llm-native demo buffer.
\\{llm-native-demo-mode-map}"
  (setq-local truncate-lines nil)
  ;; Scroll just enough to keep the end in view instead of recentering on it.
  (setq-local scroll-conservatively 101)
  (visual-line-mode 1)
  (setq header-line-format " llm-native demo: press q to quit"))

(defun llm-native-demo--insert (text &optional face)
  "Insert TEXT (with FACE) at the end of the demo buffer; keep its windows there."
  (when-let ((buffer (get-buffer llm-native-demo-buffer-name)))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (save-excursion
          (goto-char (point-max))
          (insert (if face (propertize text 'face face) text))))
      (goto-char (point-max))
      (dolist (window (get-buffer-window-list buffer nil t))
        (set-window-point window (point-max))))))

(defun llm-native-demo--error-file-write (line)
  "Write LINE to the file LLM_NATIVE_DEMO_ERROR_FILE names, if it does.
run-demo.sh prints it once the terminal is back to normal."
  (when-let ((file (llm-native-demo--env "LLM_NATIVE_DEMO_ERROR_FILE")))
    (let ((coding-system-for-write 'utf-8))
      (write-region (concat "llm-native demo: " line "\n") nil file nil 'silent))))

(defun llm-native-demo--finish-buffer (run)
  "Show the figures, or the failure, of RUN at the end of the demo buffer."
  (if (llm-native-demo--run-failure run)
      (let ((line (llm-native-demo--failure-line run)))
        (llm-native-demo--error-file-write line)
        (llm-native-demo--insert (concat (if (> (llm-native-demo--run-shown run) 0) "\n\n" "")
                                         "Error: " line "\n")
                                 'error)
        (message "llm-native demo: %s" line))
    (llm-native-demo--insert
     (concat (if (string-suffix-p "\n" (or (llm-native-demo--run-text run) "")) "\n" "\n\n")
             (mapconcat #'identity (llm-native-demo--figures run) "\n") "\n")
     'bold))
  (llm-native-demo--insert "\nPress q to quit.\n" 'shadow))

;;;###autoload
(defun llm-native-demo ()
  "Stream a chat answer into the buffer \"*llm-native demo*\", then its figures.
The provider comes from the environment (see the commentary of
llm-native-demo.el): OpenAI, Anthropic, Gemini or Ollama when their
variable is set, else the project's fake provider server."
  (interactive)
  (llm-native-demo--cancel)
  (let ((buffer (get-buffer-create llm-native-demo-buffer-name)))
    (with-current-buffer buffer
      (llm-native-demo-mode)
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert (propertize (concat "Prompt: " llm-native-demo-prompt) 'face 'italic) "\n\n")))
    (switch-to-buffer buffer)
    (delete-other-windows)
    (condition-case err
        (let ((run (llm-native-demo--start #'llm-native-demo--insert
                                           #'llm-native-demo--finish-buffer)))
          (setq llm-native-demo--current run)
          (with-current-buffer buffer
            (let ((inhibit-read-only t))
              (save-excursion
                (goto-char (point-min))
                (insert (propertize (format "Streaming from %s\n"
                                            (llm-native-demo--run-description run))
                                    'face 'bold))))))
      (error
       (let ((line (llm-native-demo--one-line (error-message-string err))))
         (llm-native-demo--stop-server)
         (setq llm-native-demo--current
               (llm-native-demo--make-run :finished t :failure line))
         (llm-native-demo--error-file-write line)
         (llm-native-demo--insert (concat "Error: " line "\n\nPress q to quit.\n") 'error)
         (message "llm-native demo: %s" line))))))

(defun llm-native-demo--cancel ()
  "Cancel the demo's chat if it is still running, and stop its server."
  (let ((run llm-native-demo--current))
    (when (and run (not (llm-native-demo--run-finished run)) (llm-native-demo--run-handle run))
      (setf (llm-native-demo--run-finished run) t)
      (llm-cancel-request (llm-native-demo--run-handle run))))
  (llm-native-demo--stop-server))

(defun llm-native-demo-quit ()
  "Leave the demo: cancel a running chat, stop the fake server, close the buffer.
From `make demo', exit Emacs: status 0, or 1 when the demo failed."
  (interactive)
  (let ((failed (and llm-native-demo--current
                     (llm-native-demo--run-failure llm-native-demo--current))))
    (llm-native-demo--cancel)
    (if llm-native-demo--exit-on-quit
        (kill-emacs (if failed 1 0))
      (quit-window t))))

(defun llm-native-demo-terminal ()
  "Run `llm-native-demo' as the only thing in this Emacs; q exits it."
  (setq llm-native-demo--exit-on-quit t
        inhibit-startup-screen t)
  (llm-native-demo)
  ;; Replace the startup hint in the echo area once startup has printed it.
  (run-with-timer 0.2 nil (lambda ()
                            (let ((run llm-native-demo--current))
                              (unless (and run (llm-native-demo--run-failure run))
                                (message "llm-native demo: press q to quit"))))))

(provide 'llm-native-demo)
;;; llm-native-demo.el ends here
