;;; llm-native-loader.el --- Find, build and load the llm-native module  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; The dynamic module lives next to llm-native.el as llm-native-module.so.
;; When it is missing, `llm-native-module-compile' builds it with CMake
;; (asking first, as vterm does).  A version handshake refuses a module
;; whose version differs from the Lisp's.

;;; Code:

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

(defvar llm-native--root
  (file-name-directory (or load-file-name buffer-file-name default-directory))
  "Root directory of llm-native, holding llm-native.el and CMakeLists.txt.")

(declare-function llm-native--mod-version "ext:llm-native-module")

(defun llm-native-module-file ()
  "Return the file name of the llm-native module."
  (unless module-file-suffix
    (signal 'llm-native-module-error '("This Emacs was built without dynamic module support")))
  (expand-file-name (concat "llm-native-module" module-file-suffix)
                    (or llm-native-module-directory llm-native--root)))

(defun llm-native-module-compile ()
  "Build the llm-native module with CMake in the llm-native directory.
Signals `llm-native-module-error' with the build's last output lines
when it fails."
  (interactive)
  (let ((default-directory llm-native--root)
        (buffer (get-buffer-create "*llm-native-compile*")))
    (unless (executable-find "cmake")
      (signal 'llm-native-module-error
              '("Cannot build the llm-native module: cmake is not installed (see README.md)")))
    (with-current-buffer buffer (erase-buffer))
    (message "Building the llm-native module...")
    (let ((status
           (call-process "sh" nil buffer t "-c"
                         (concat "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "
                                 "-DLLM_NATIVE_TESTS=OFF"
                                 " && cmake --build build --target llm-native-module -j 2"))))
      (unless (eql status 0)
        (signal 'llm-native-module-error
                (list (format "Building the llm-native module failed (see %s): %s"
                              (buffer-name buffer)
                              (with-current-buffer buffer
                                (string-trim
                                 (buffer-substring-no-properties
                                  (save-excursion (goto-char (point-max)) (forward-line -5) (point))
                                  (point-max))))))))
      (message "Building the llm-native module...done"))))

(defun llm-native--ensure-module ()
  "Load the llm-native module, building it first if needed and allowed.
Signals `llm-native-module-error' or `llm-native-version-mismatch'."
  (unless (featurep 'llm-native-module)
    (let ((file (llm-native-module-file)))
      (unless (file-exists-p file)
        (if (or (eq llm-native-module-auto-compile 'always)
                (and (eq llm-native-module-auto-compile 'ask)
                     (not noninteractive)
                     (y-or-n-p "The llm-native module is not built yet.  Build it now? ")))
            (llm-native-module-compile)
          (signal 'llm-native-module-error
                  (list (format "The llm-native module %s is missing; build it with `make' or M-x llm-native-module-compile"
                                file)))))
      (module-load file)))
  (let ((version (llm-native--mod-version)))
    (unless (equal version llm-native-version)
      (signal 'llm-native-version-mismatch
              (list (format "The llm-native module is version %s but the Lisp is %s; rebuild it (M-x llm-native-module-compile) and restart Emacs"
                            version llm-native-version))))))

(provide 'llm-native-loader)
;;; llm-native-loader.el ends here
