;;; llm-native-loader.el --- Find, build and load the llm-native module  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; The dynamic module lives next to llm-native.el as llm-native-module.so
;; (the suffix is `module-file-suffix').  When it is missing, it is built
;; with CMake (asking first, as vterm does) in an asynchronous process, so
;; Emacs never freezes: progress shows in the echo area, the output goes to
;; a compilation buffer that is shown when the build fails, and the failure
;; names the missing tool or library with the command that installs it.
;;
;; `llm-native--with-module' runs a function once the module is loaded:
;; at once when it is, else after the build (asynchronous requests queue
;; there).  `llm-native--ensure-module' waits for the build instead, with
;; \\[keyboard-quit] ending the wait (not the build).  The Emacs-side build has
;; its own build directory, never the build/ of `make test'.  A version
;; handshake refuses a module whose version differs from the Lisp's.

;;; Code:

(require 'cl-lib)
(require 'llm-native-errors)

(defconst llm-native-version "0.1.0"
  "Version of llm-native; the module must report the same.")

(defgroup llm-native nil
  "Native streaming engine for the llm package."
  :group 'comm
  :prefix "llm-native-"
  :link '(url-link :tag "Home page" "https://github.com/llm-native/llm-native")
  :link '(emacs-commentary-link :tag "Commentary" "llm-native")
  :link '(url-link :tag "The llm package (GNU ELPA)" "https://elpa.gnu.org/packages/llm.html"))

(defcustom llm-native-module-auto-compile 'ask
  "What to do when the llm-native module is missing.
`ask' asks before building it, `always' builds it without asking,
`never' signals an error."
  :type '(choice (const ask) (const always) (const never)))

(defcustom llm-native-module-directory nil
  "Directory holding the module, or nil for the directory of llm-native.el."
  :type '(choice (const nil) directory))

(defcustom llm-native-module-build-directory nil
  "CMake build directory of the module, or nil for build-emacs/.
A relative name is relative to the directory of llm-native.el."
  :type '(choice (const nil) directory))

(defcustom llm-native-module-cmake-program "cmake"
  "The CMake program that builds the module."
  :type 'string)

(defcustom llm-native-module-cmake-arguments nil
  "Extra arguments for CMake's configure step.
For example (\"-DCMAKE_CXX_COMPILER=clang++\")."
  :type '(repeat string))

(defcustom llm-native-module-build-jobs nil
  "How many compile jobs the module's build runs at once.
nil means one per processor."
  :type '(choice (const nil) natnum))

(defvar llm-native--root
  (file-name-directory (or load-file-name buffer-file-name default-directory))
  "Root directory of llm-native, holding llm-native.el and CMakeLists.txt.
The same flat layout in a checkout, a package.el install and package-vc.")

(defconst llm-native-module-build-buffer "*llm-native-build*"
  "Name of the buffer showing the module's build.")

(defvar llm-native--build-process nil
  "The running step of the module's build, or nil when none runs.")

(defvar llm-native--build-waiters nil
  "Functions to call when the build ends, newest first.
Each gets nil on success, else the error (SYMBOL . DATA).")

(declare-function llm-native--mod-version "ext:llm-native-module")
(declare-function compilation-mode "compile")

(defun llm-native-module-file ()
  "Return the file name of the llm-native module."
  (unless module-file-suffix
    (signal 'llm-native-module-error '("This Emacs was built without dynamic module support")))
  (expand-file-name (concat "llm-native-module" module-file-suffix)
                    (or llm-native-module-directory llm-native--root)))

;;;; Loading

(defun llm-native--load-module ()
  "Load the module file and check its version.
Signals `llm-native-module-error' or `llm-native-version-mismatch'."
  (unless (featurep 'llm-native-module)
    (module-load (llm-native-module-file)))
  (let ((version (llm-native--mod-version)))
    (unless (equal version llm-native-version)
      (signal 'llm-native-version-mismatch
              (list (format "The llm-native module is version %s but the Lisp is %s; rebuild it (M-x llm-native-module-compile) and restart Emacs"
                            version llm-native-version))))))

(defun llm-native--module-ready-p ()
  "Return non-nil if the module is loaded, loading it first if it can.
It can when its file exists and no build is running."
  (when (and (not (featurep 'llm-native-module))
             (not llm-native--build-process)
             (file-exists-p (llm-native-module-file)))
    (llm-native--load-module))
  (featurep 'llm-native-module))

(defun llm-native--with-module (function on-error)
  "Call FUNCTION with no argument once the module is loaded.
When it is, or can be loaded at once, call FUNCTION now and return its
value.  Otherwise build the module (if allowed) without waiting and
return nil: FUNCTION then runs from a timer after a successful build,
and ON-ERROR gets the error (SYMBOL . DATA) of a failed build, or the
error FUNCTION signalled."
  (if (llm-native--module-ready-p)
      (funcall function)
    (unless llm-native--build-process (llm-native--confirm-build))
    (llm-native--build-module
     (lambda (failure)
       (if failure
           (funcall on-error failure)
         (condition-case err (funcall function)
           (error (funcall on-error err))))))
    nil))

(defun llm-native--confirm-build ()
  "Signal `llm-native-module-error' unless the missing module may be built."
  (unless (or (eq llm-native-module-auto-compile 'always)
              (and (eq llm-native-module-auto-compile 'ask)
                   (not noninteractive)
                   (y-or-n-p "The llm-native module is not built yet.  Build it now? ")))
    (signal 'llm-native-module-error
            (list (format "The llm-native module %s is missing; build it with `make' or M-x llm-native-module-compile"
                          (llm-native-module-file))))))

(defun llm-native--ensure-module ()
  "Load the llm-native module, building it first if needed and allowed.
While it builds, wait; \\[keyboard-quit] stops the wait, not the build.
Signals `llm-native-module-error' or `llm-native-version-mismatch'."
  (unless (llm-native--module-ready-p)
    (let ((done nil) (failure nil))
      (llm-native--with-module (lambda () (setq done t))
                               (lambda (err) (setq done t failure err)))
      (let ((inhibit-quit nil))
        (while (not done)
          (accept-process-output nil 0.05)))
      (when failure (signal (car failure) (cdr failure)))))
  (llm-native--load-module))

;;;; Building

(defun llm-native-module-compile ()
  "Build the llm-native module with CMake, without blocking Emacs.
The build runs in its own directory (`llm-native-module-build-directory')
with `llm-native-module-cmake-arguments' and `llm-native-module-build-jobs';
its output goes to the buffer `llm-native-module-build-buffer', shown if
it fails.  The new module is loaded unless one already is (then restart
Emacs to use it)."
  (interactive)
  (llm-native--build-module #'ignore)
  nil)

(defun llm-native--build-directory ()
  "The CMake build directory of the Emacs-side build."
  (file-name-as-directory
   (expand-file-name (or llm-native-module-build-directory "build-emacs") llm-native--root)))

(defun llm-native--emacs-include-hints ()
  "Directories where this Emacs's emacs-module.h may be, for CMake."
  (mapconcat #'identity
             (delete-dups
              (list (expand-file-name "../include" invocation-directory)
                    ;; data-directory is PREFIX/share/emacs/VERSION/etc/.
                    (expand-file-name "../../../../include" data-directory)))
             ";"))

(defun llm-native--build-steps ()
  "The commands of the build, each a list of program and arguments."
  (let ((cmake llm-native-module-cmake-program)
        (dir (directory-file-name (llm-native--build-directory))))
    (list (append (list cmake "-S" (directory-file-name llm-native--root) "-B" dir
                        "-DCMAKE_BUILD_TYPE=Release" "-DLLM_NATIVE_TESTS=OFF"
                        (concat "-DLLM_NATIVE_MODULE_DIR="
                                (directory-file-name
                                 (file-name-directory (llm-native-module-file))))
                        (concat "-DLLM_NATIVE_MODULE_SUFFIX=" module-file-suffix)
                        (concat "-DLLM_NATIVE_EMACS_INCLUDE_HINTS="
                                (llm-native--emacs-include-hints)))
                  llm-native-module-cmake-arguments)
          (list cmake "--build" dir "--target" "llm-native-module" "--parallel"
                (number-to-string (or llm-native-module-build-jobs (num-processors)))))))

(defun llm-native--build-module (callback)
  "Build the module unless a build is running; call CALLBACK when it ends.
CALLBACK runs from a timer, with nil on success (the module is then
loaded) or the error (SYMBOL . DATA)."
  (push callback llm-native--build-waiters)
  (unless llm-native--build-process
    (require 'compile)
    (let ((buffer (get-buffer-create llm-native-module-build-buffer))
          (steps (llm-native--build-steps)))
      (with-current-buffer buffer
        (let ((inhibit-read-only t))
          (erase-buffer)
          (setq default-directory llm-native--root)
          (compilation-mode)
          (insert (format "Building the llm-native module in %s\n\n"
                          (llm-native--build-directory)))))
      (setq llm-native--build-process t)  ; a build is on, even before its process
      (if (executable-find (car (car steps)))
          (llm-native--build-step buffer steps)
        (run-at-time 0 nil #'llm-native--build-finished buffer
                     (format "%s: program not found" (car (car steps))))))))

(defun llm-native--build-step (buffer commands)
  "Run COMMANDS one after the other, their output in BUFFER."
  (with-current-buffer buffer
    (let ((inhibit-read-only t))
      (goto-char (point-max))
      (insert (mapconcat #'shell-quote-argument (car commands) " ") "\n")))
  (llm-native--build-progress (if (cdr commands) "configuring" "compiling"))
  (setq llm-native--build-process
        (make-process
         :name "llm-native-build" :buffer buffer :command (car commands)
         :coding 'utf-8 :connection-type 'pipe :noquery t
         :filter #'llm-native--build-filter
         :sentinel
         (lambda (process _event)
           (unless (process-live-p process)
             (cond ((not (and (eq (process-status process) 'exit)
                              (eql (process-exit-status process) 0)))
                    (llm-native--build-finished
                     buffer (format "%s %s" (car (car commands))
                                    (llm-native--process-end process))))
                   ((cdr commands) (llm-native--build-step buffer (cdr commands)))
                   (t (llm-native--build-finished buffer nil))))))))

(defun llm-native--process-end (process)
  "Return a short description of how PROCESS ended."
  (if (eq (process-status process) 'exit)
      (format "exited with status %d" (process-exit-status process))
    (format "died (%s)" (process-status process))))

(defun llm-native--build-filter (process output)
  "Append OUTPUT of the build PROCESS to its buffer; show the percentage done."
  (let ((buffer (process-buffer process)))
    (when (buffer-live-p buffer)
      (with-current-buffer buffer
        (let ((inhibit-read-only t)
              (moving (= (point) (point-max))))
          (save-excursion
            (goto-char (point-max))
            (insert output))
          (when moving (goto-char (point-max)))))))
  (let ((start 0) percent)
    (while (string-match "\\[ *\\([0-9]+\\)%\\]" output start)
      (setq percent (match-string 1 output) start (match-end 0)))
    (when percent (llm-native--build-progress (concat percent "%")))))

(defun llm-native--build-progress (what)
  "Show WHAT the build is doing in the echo area, keeping it out of *Messages*.
Nothing is shown while the minibuffer is in use, so as not to hide it."
  (unless (active-minibuffer-window)
    (let ((message-log-max nil))
      (message "Building the llm-native module... %s" what))))

(defun llm-native--build-finished (buffer failure)
  "End the build whose output is in BUFFER: FAILURE nil, or what failed.
Load the module after a success; on a failure show BUFFER and report
the diagnosis.  Then run the waiters, oldest first."
  (setq llm-native--build-process nil)
  (let ((error-value nil)
        (waiters (nreverse llm-native--build-waiters)))
    (setq llm-native--build-waiters nil)
    (if failure
        (setq error-value (list 'llm-native-module-error
                                (llm-native--build-diagnosis buffer failure)))
      (condition-case err
          (if (featurep 'llm-native-module)
              (message "Building the llm-native module...done; restart Emacs to use the new module")
            (llm-native--load-module)
            (message "Building the llm-native module...done"))
        (error (setq error-value err))))
    (when (buffer-live-p buffer)
      (with-current-buffer buffer
        (let ((inhibit-read-only t))
          (goto-char (point-max))
          (insert "\n" (if error-value (cadr error-value) "Done.") "\n"))))
    (when error-value
      (when (buffer-live-p buffer) (display-buffer buffer))
      (message "%s" (cadr error-value)))
    ;; From a timer, so that no waiter runs inside a process sentinel.
    (run-at-time 0 nil
                 (lambda ()
                   (dolist (waiter waiters)
                     (condition-case err (funcall waiter error-value)
                       (error (message "llm-native: after the module build: %s"
                                       (error-message-string err)))))))))

;;;; Diagnosis

(defconst llm-native--requirements
  '((cmake "CMake is"
           "sudo apt install cmake" "sudo dnf install cmake"
           "sudo pacman -S cmake" "brew install cmake")
    (compiler "A C++17 compiler is"
              "sudo apt install g++" "sudo dnf install gcc-c++"
              "sudo pacman -S gcc" "xcode-select --install")
    (curl "The libcurl headers are"
          "sudo apt install libcurl4-openssl-dev" "sudo dnf install libcurl-devel"
          "sudo pacman -S curl" "brew install curl")
    (rapidjson "RapidJSON is"
               "sudo apt install rapidjson-dev" "sudo dnf install rapidjson-devel"
               "sudo pacman -S rapidjson" "brew install rapidjson")
    (emacs-module "Emacs's module header emacs-module.h is"
                  "sudo apt install emacs-common" "sudo dnf install emacs-devel"
                  "sudo pacman -S emacs" "brew install emacs"))
  "What the build needs, each (KEY SUBJECT DEBIAN FEDORA ARCH MACOS).
SUBJECT ends with its verb, \"is\" or \"are\".
The last four are the commands that install it on Debian/Ubuntu,
Fedora, Arch and macOS (Homebrew).")

(defconst llm-native--missing-patterns
  '((compiler . "No CMAKE_CXX_COMPILER could be found\\|is not a full path to an existing compiler\\|is not a full path and was not found in the PATH\\|is not able to compile a simple test program")
    (curl . "Could NOT find CURL\\|curl/curl\\.h: No such file")
    (rapidjson . "RAPIDJSON_INCLUDE_DIR\\|rapidjson/[a-z]+\\.h: No such file")
    (emacs-module . "EMACS_MODULE_INCLUDE_DIR\\|emacs-module\\.h: No such file"))
  "What a build's output says when a requirement is missing, by requirement.")

(defun llm-native--build-diagnosis (buffer failure)
  "A message for the build whose output in BUFFER ended with FAILURE.
It names what is missing and how to install it, when the output tells."
  (let* ((missing
          (if (string-suffix-p ": program not found" failure)
              'cmake
            (when (buffer-live-p buffer)  ; the user may have killed it
              (with-current-buffer buffer
                (car (cl-find-if (lambda (entry)
                                   (save-excursion
                                     (goto-char (point-min))
                                     (re-search-forward (cdr entry) nil t)))
                                 llm-native--missing-patterns))))))
         (requirement (assq missing llm-native--requirements)))
    (if requirement
        (pcase-let ((`(,_ ,subject ,debian ,fedora ,arch ,macos) requirement))
          (format "Building the llm-native module failed: %s missing%s.  Install it: %s (Debian/Ubuntu), %s (Fedora), %s (Arch), %s (macOS); output in %s"
                  subject
                  (if (eq missing 'cmake)
                      (format " (no program %s)" llm-native-module-cmake-program)
                    "")
                  debian fedora arch macos llm-native-module-build-buffer))
      (format "Building the llm-native module failed (%s); see %s"
              failure llm-native-module-build-buffer))))

(provide 'llm-native-loader)
;;; llm-native-loader.el ends here
