;;; llm-native-package-test.el --- Tests of llm-native as a package  -*- lexical-binding: t; -*-

;; This file is part of llm-native.

;;; Commentary:

;; How llm-native behaves as an installed package: the llm integration
;; attaches whenever llm is loaded, before or after llm-native, without
;; loading any file of llm twice; the engine's pipe has no visible buffer;
;; module errors read as plain messages.  The load-order tests run a fresh
;; `emacs -Q --batch' each, with the llm stand-in (tests/llm-stand-in).

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native-runtime)

(defun llm-native-package-test--emacs (&rest forms)
  "Run FORMS in a new batch Emacs with llm-native and the stand-in; return its output."
  (with-temp-buffer
    (let ((status (apply #'call-process
                         (expand-file-name invocation-name invocation-directory)
                         nil t nil
                         "-Q" "--batch"
                         "-L" llm-native-test--root
                         "-L" (concat path-separator
                                      (expand-file-name "tests/llm-stand-in"
                                                        llm-native-test--root))
                         (cl-mapcan (lambda (form) (list "--eval" (prin1-to-string form)))
                                    forms))))
      (unless (eq status 0)
        (ert-fail (format "Emacs exited with %s: %s" status (buffer-string))))
      (buffer-string))))

(defun llm-native-package-test--attach (features)
  "Require FEATURES in order in a new Emacs; return (MODE ONCE LLM-NATIVE-LLM).
MODE is `llm-native-mode', ONCE is non-nil when no file was loaded
twice, LLM-NATIVE-LLM is non-nil when the integration is loaded."
  (let ((output
         (llm-native-package-test--emacs
         ;; No native compilation in the background (Emacs 30): it is slow and irrelevant.
         '(setq native-comp-jit-compilation nil)
         '(defvar llm-native-package-test--loads nil)
         '(add-hook 'after-load-functions
                    (lambda (file) (push (file-name-base file) llm-native-package-test--loads)))
         `(dolist (feature ',features) (require feature))
         '(princ (format "\nRESULT %S\n"
                         (list (bound-and-true-p llm-native-mode)
                               (equal llm-native-package-test--loads
                                      (delete-dups
                                       (copy-sequence llm-native-package-test--loads)))
                               (featurep 'llm-native-llm)))))))
    ;; Emacs may print other lines (e.g. "Loading ...") to the same output.
    (if (string-match "^RESULT \\(.*\\)$" output)
        (car (read-from-string (match-string 1 output)))
      (ert-fail (format "No result in: %s" output)))))

(ert-deftest llm-native-package-without-llm ()
  "Without llm, llm-native loads the engine and leaves the integration out."
  (should (equal (llm-native-package-test--attach '(llm-native)) '(nil t nil))))

(ert-deftest llm-native-package-attach-in-every-order ()
  "The integration attaches when llm loads, before or after llm-native, once."
  (dolist (order '((llm llm-native) (llm-native llm) (llm-openai llm-native)
                   (llm-native llm-openai) (llm-native llm-ollama) (llm-native llm-gemini)
                   (llm-native llm-native-llm) (llm-native-llm llm-native)))
    (should (equal (cons order (llm-native-package-test--attach order))
                   (cons order '(t t t))))))

(ert-deftest llm-native-package-pipe-buffer-hidden ()
  "The engine's pipe process has a buffer whose name starts with a space."
  (llm-native-close)
  (let ((base (llm-native-test-scenario '(:body "{}"))))
    (llm-native-request-sync :url (concat base "/x"))
    (let ((buffer (process-buffer llm-native--pipe)))
      (should (or (null buffer) (string-prefix-p " " (buffer-name buffer)))))
    (should-not (get-buffer "llm-native"))))

(ert-deftest llm-native-package-module-errors-readable ()
  "Module errors read as their message, without a quoted repeat."
  (should (equal (error-message-string
                  '(llm-native-module-error "Cannot build the llm-native module: cmake is missing"))
                 "Cannot build the llm-native module: cmake is missing"))
  (should (equal (error-message-string
                  '(llm-native-version-mismatch "The llm-native module is version 0.0.9"))
                 "The llm-native module is version 0.0.9"))
  (let ((runtime (llm-native--runtime)))
    (llm-native-close)
    (let ((err (should-error (llm-native--mod-stats runtime) :type 'llm-native-closed)))
      (should (equal (error-message-string err) "llm-native runtime is closed")))))

(ert-deftest llm-native-package-module-handles-checked ()
  "A module function refuses a handle of the wrong kind."
  (let ((runtime (llm-native--runtime)))
    (should-error (llm-native--mod-meter-read runtime) :type 'wrong-type-argument)
    (should-error (llm-native--mod-stats "runtime") :type 'wrong-type-argument)
    (should-error (llm-native--mod-close 42) :type 'wrong-type-argument)
    (should (equal (plist-get (llm-native--mod-stats runtime) :active) 0))))

(provide 'llm-native-package-test)
;;; llm-native-package-test.el ends here
