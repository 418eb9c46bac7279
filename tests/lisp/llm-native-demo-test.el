;;; llm-native-demo-test.el --- ERT tests of `make demo'  -*- lexical-binding: t; -*-

;;; Commentary:

;; Runs the batch demo (tests/demo/run-demo.sh with BATCH=1) as a subprocess,
;; under --module-assertions, against the fake provider server at a fast pace,
;; and checks that standard output holds the whole answer, byte for byte,
;; then the figures; and that an unreachable provider gives a one-line error
;; and a non-zero exit status.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-demo)

(defconst llm-native-demo-test--root
  (expand-file-name "../.." (file-name-directory (or load-file-name buffer-file-name)))
  "The repository root.")

(defconst llm-native-demo-test--provider-variables
  '("OPENAI_API_KEY" "ANTHROPIC_API_KEY" "GEMINI_API_KEY" "OLLAMA_HOST"
    "LLM_NATIVE_DEMO_PROVIDER" "LLM_NATIVE_DEMO_MODEL" "LLM_NATIVE_DEMO_PACE_MS")
  "Environment variables that steer the demo; the tests start from none of them.")

(defun llm-native-demo-test--run (&rest environment)
  "Run the batch demo with ENVIRONMENT (\"NAME=VALUE\" strings) added.
Return (STATUS STDOUT STDERR), the outputs decoded as UTF-8."
  (let* ((stderr-file (make-temp-file "llm-native-demo-stderr"))
         (process-environment
          (append environment
                  (list "BATCH=1"
                        ;; This Emacs's own dump file: an Emacs run from a private prefix
                        ;; (scripts/emacs30) finds it only when told.
                        (format "EMACS=%s%s --dump-file=%s --module-assertions%s"
                                ;; Under make asan the module this Emacs loads needs the
                                ;; sanitizer runtimes preloaded (make asan keeps them out of
                                ;; every other child process).
                                (let ((preload (cl-find-if
                                                (lambda (var)
                                                  (string-match-p "\\`LD_PRELOAD=.*libasan" var))
                                                initial-environment)))
                                  (if preload (format "env %s " preload) ""))
                                (expand-file-name invocation-name invocation-directory)
                                (alist-get 'dump-file-name (pdumper-stats))
                                ;; The module this Emacs tests (make test-clang's), in a
                                ;; form without spaces: run-demo.sh splits $EMACS on them.
                                (if llm-native-module-directory
                                    (format " --eval=(set'llm-native-module-directory%S)"
                                            llm-native-module-directory)
                                  "")))
                  ;; A bare NAME removes the variable from the child's environment.
                  llm-native-demo-test--provider-variables
                  process-environment))
         (default-directory llm-native-demo-test--root)
         (coding-system-for-read 'utf-8))
    (unwind-protect
        (with-temp-buffer
          (let ((status (call-process "sh" nil (list t stderr-file) nil
                                      (expand-file-name "tests/demo/run-demo.sh"
                                                        llm-native-demo-test--root))))
            (list status (buffer-string)
                  (with-temp-buffer
                    (insert-file-contents stderr-file)
                    (buffer-string)))))
      (delete-file stderr-file))))

(ert-deftest llm-native-demo-batch-streams-whole-answer ()
  "The batch demo prints the fake server's whole answer, then the figures, and exits 0."
  (pcase-let* ((`(,status ,stdout ,stderr)
                (llm-native-demo-test--run "LLM_NATIVE_DEMO_PACE_MS=1"))
               (answer (llm-native-demo-fake-answer)))
    (should (equal status 0))
    ;; The answer is long, multi-paragraph and multi-byte, so the check means something.
    (should (> (length (llm-native-demo-fake-tokens)) 300))
    (should (string-match-p "\n\n" answer))
    (should (string-match-p "é" answer))
    (should (string-match-p "言語モデル" answer))
    (should (string-match-p "🚀" answer))
    (should (string-match-p "\\`llm-native demo: streaming from the fake provider server on 127\\.0\\.0\\.1:[0-9]+"
                            stdout))
    ;; The whole answer, exactly, between the prompt and the figures.
    (let ((at (string-search answer stdout)))
      (should at)
      (let ((figures (substring stdout (+ at (length answer)))))
        (should (string-match-p
                 (concat "\\`--\ntime to first token: [0-9]+ ms\n"
                         (format "tokens per second: +[0-9.]+ (%d tokens in [0-9.]+ s)\n"
                                 (length (llm-native-demo-fake-tokens)))
                         "total time: +[0-9.]+ s\n"
                         "main-thread CPU: +[0-9.]+ s ([0-9.]+% of the total time)\n\\'")
                 figures))))
    (should (equal stderr ""))))

(ert-deftest llm-native-demo-batch-unreachable-provider ()
  "An unreachable provider gives one line on stderr naming it and the cause, and exit 1."
  (pcase-let ((`(,status ,stdout ,stderr)
               (llm-native-demo-test--run "OLLAMA_HOST=http://127.0.0.1:1")))
    (should (equal status 1))
    (should (string-match-p "streaming from Ollama at http://127\\.0\\.0\\.1:1" stdout))
    (should (string-match-p
             "\\`llm-native demo: Ollama at http://127\\.0\\.0\\.1:1 .*failed: .*[Cc]onnect[^\n]*\n\\'"
             stderr))))

(ert-deftest llm-native-demo-batch-unconfigured-provider ()
  "A provider chosen by name without its key gives a one-line error and exit 1."
  (pcase-let ((`(,status ,_stdout ,stderr)
               (llm-native-demo-test--run "LLM_NATIVE_DEMO_PROVIDER=anthropic")))
    (should (equal status 1))
    (should (equal stderr
                   "llm-native demo: The Anthropic provider needs ANTHROPIC_API_KEY to be set\n"))))

(ert-deftest llm-native-demo-provider-precedence ()
  "OpenAI, then Anthropic, then Gemini, then Ollama, then the fake server; empty counts as unset."
  (let ((process-environment (append llm-native-demo-test--provider-variables
                                     process-environment)))
    (should (eq (llm-native-demo--provider-kind) 'fake))
    (setenv "OLLAMA_HOST" "localhost")
    (should (eq (llm-native-demo--provider-kind) 'ollama))
    (setenv "GEMINI_API_KEY" "g")
    (should (eq (llm-native-demo--provider-kind) 'gemini))
    (setenv "ANTHROPIC_API_KEY" "a")
    (should (eq (llm-native-demo--provider-kind) 'anthropic))
    (setenv "OPENAI_API_KEY" "")
    (should (eq (llm-native-demo--provider-kind) 'anthropic))
    (setenv "OPENAI_API_KEY" "o")
    (should (eq (llm-native-demo--provider-kind) 'openai))
    (setenv "LLM_NATIVE_DEMO_PROVIDER" "Fake")
    (should (eq (llm-native-demo--provider-kind) 'fake))
    (setenv "LLM_NATIVE_DEMO_PROVIDER" "nonsense")
    (should-error (llm-native-demo--provider-kind))))

(ert-deftest llm-native-demo-ollama-host-forms ()
  "OLLAMA_HOST is read in the forms Ollama accepts."
  (let ((process-environment (copy-sequence process-environment)))
    (dolist (case '(("localhost" "http" "localhost" 11434)
                    ("0.0.0.0:8000" "http" "127.0.0.1" 8000)
                    ("https://ollama.example:443" "https" "ollama.example" 443)
                    ("http://10.0.0.5:11434/" "http" "10.0.0.5" 11434)))
      (setenv "OLLAMA_HOST" (car case))
      (should (equal (llm-native-demo--ollama-address) (cdr case))))))

(ert-deftest llm-native-demo-tokens-rebuild-answer ()
  "The fake server's tokens concatenate to the answer and Japanese is cut small."
  (should (equal (apply #'concat (llm-native-demo-fake-tokens)) llm-native-demo--fake-answer))
  (should (cl-every (lambda (token) (<= (length (string-trim token)) 30))
                    (llm-native-demo-fake-tokens)))
  (should (cl-some (lambda (token) (and (string-search "言" token) (<= (length token) 3)))
                   (llm-native-demo-fake-tokens))))

(provide 'llm-native-demo-test)
;;; llm-native-demo-test.el ends here
