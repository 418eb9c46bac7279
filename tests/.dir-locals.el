;; Test files are loaded from source, never byte-compiled (also when package-vc
;; compiles a checkout recursively).
((emacs-lisp-mode . ((no-byte-compile . t))))
