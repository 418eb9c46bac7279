;;; llm-native-build-test.el --- ERT tests of the module's first build  -*- lexical-binding: t; -*-

;;; Commentary:

;; The first build runs in an asynchronous process.  One test builds the
;; module for real, into a temporary directory, while requests are made
;; (asynchronous ones queue, a synchronous one waits, C-g ends a wait) and a
;; 50 ms repeating timer measures how late the main loop serves it.  The
;; others make the build fail (no cmake, no compiler, no libcurl headers) and
;; check the message and the compilation buffer.  This file must run in an
;; Emacs of its own that has not loaded the module (ctest does so).

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native-runtime)

(defmacro llm-native-build-test--with-dirs (&rest body)
  "Run BODY with the module and its build directed to a fresh temporary directory."
  (declare (indent 0) (debug t))
  `(let* ((temp (make-temp-file "llm-native-build-test" t))
          (llm-native-module-directory (expand-file-name "module" temp))
          (llm-native-module-build-directory (expand-file-name "build" temp))
          (llm-native-module-auto-compile 'always)
          (llm-native-module-build-jobs 2)
          (llm-native-module-cmake-program "cmake")
          (llm-native-module-cmake-arguments nil))
     (unwind-protect
         (progn
           (should-not llm-native--build-process)
           ,@body)
       (when (processp llm-native--build-process)
         (delete-process llm-native--build-process))
       (when (get-buffer llm-native-module-build-buffer)
         (kill-buffer llm-native-module-build-buffer))
       (delete-directory temp t))))

(defun llm-native-build-test--fail-build ()
  "Build the module (expecting a failure) and return the error it reports."
  (let ((result 'none))
    (llm-native--build-module (lambda (failure) (setq result failure)))
    (llm-native-test-wait-until (lambda () (not (eq result 'none))) 300)
    (should-not llm-native--build-process)
    result))

(defun llm-native-build-test--check-failure (failure what commands)
  "Check FAILURE, a build's error, says WHAT and gives the four COMMANDS.
Also check the build buffer was shown, in `compilation-mode'."
  (should (eq (car failure) 'llm-native-module-error))
  (let ((message (cadr failure)))
    (message "Build failure message: %s" message)
    (should (string-search what message))
    (cl-loop for command in commands
             for platform in '("(Debian/Ubuntu)" "(Fedora)" "(Arch)" "(macOS)")
             do (should (string-search (concat command " " platform) message)))
    (should (string-search llm-native-module-build-buffer message)))
  (let ((buffer (get-buffer llm-native-module-build-buffer)))
    (should buffer)
    (should (get-buffer-window buffer t))
    (with-current-buffer buffer
      (should (derived-mode-p 'compilation-mode))
      (should (string-search " missing" (buffer-string))))))

(ert-deftest llm-native-build-steps-use-own-directory-and-options ()
  "The Emacs-side build configures its own directory, never build/, with the options."
  (let ((llm-native-module-build-directory nil)
        (llm-native-module-directory nil)
        (llm-native-module-cmake-program "cmake")
        (llm-native-module-cmake-arguments '("-DCMAKE_CXX_COMPILER=clang++" "-DX=1"))
        (llm-native-module-build-jobs 3))
    (pcase-let ((`(,configure ,build) (llm-native--build-steps))
                (dir (directory-file-name (expand-file-name "build-emacs" llm-native--root))))
      (should (equal (seq-take configure 5)
                     (list "cmake" "-S" (directory-file-name llm-native--root) "-B" dir)))
      (should (member "-DLLM_NATIVE_TESTS=OFF" configure))
      (should (member (concat "-DLLM_NATIVE_MODULE_SUFFIX=" module-file-suffix) configure))
      (should (member (concat "-DLLM_NATIVE_MODULE_DIR=" (directory-file-name llm-native--root))
                      configure))
      (should (equal (last configure 2) '("-DCMAKE_CXX_COMPILER=clang++" "-DX=1")))
      (should-not (cl-some (lambda (arg) (string-match-p "/build/?\\'" arg)) configure))
      (should (equal build (list "cmake" "--build" dir "--target" "llm-native-module"
                                 "--parallel" "3"))))))

(ert-deftest llm-native-build-failure-reaches-queued-requests ()
  "A failed first build reaches every request made meanwhile, as its error."
  (should-not (featurep 'llm-native-module))
  (llm-native-build-test--with-dirs
    (let ((llm-native-module-cmake-program "/nonexistent/cmake")
          (debug-on-error nil)  ; callbacks' errors are caught only then, as for a user
          (errors nil) (warnings nil))
      (cl-letf (((symbol-function 'display-warning)
                 (lambda (_type message &rest _) (push message warnings))))
        (llm-native-request :url "http://127.0.0.1:1/a"
                            :on-done (lambda (_) (push 'done errors))
                            :on-error (lambda (symbol message _info)
                                        (push (list symbol message) errors)))
        (should llm-native--build-process)  ; on, though cmake is found missing at once
        ;; A callback that signals is reported, and the others still run.
        (llm-native-request :url "http://127.0.0.1:1/b"
                            :on-error (lambda (&rest _) (error "Callback failure")))
        (let ((failure (should-error (llm-native-request-sync :url "http://127.0.0.1:1/c")
                                     :type 'llm-native-module-error)))
          (should (string-search "CMake is missing" (cadr failure))))
        (llm-native-test-wait-until (lambda () errors) 10)
        (should (equal (mapcar #'car errors) '(llm-native-module-error)))
        (should (string-search "sudo apt install cmake" (cadr (car errors))))
        (should (equal (length warnings) 1))
        (should (string-search "(not started): Callback failure" (car warnings)))
        (should-not (featurep 'llm-native-module))))))

(ert-deftest llm-native-build-fails-without-cmake ()
  "No cmake, by option or on PATH: the failure names CMake and how to install it."
  (llm-native-build-test--with-dirs
    (let ((llm-native-module-cmake-program "/nonexistent/cmake"))
      (llm-native-build-test--check-failure
       (llm-native-build-test--fail-build) "CMake is missing (no program /nonexistent/cmake)"
       '("sudo apt install cmake" "sudo dnf install cmake" "sudo pacman -S cmake"
         "brew install cmake"))))
  (llm-native-build-test--with-dirs
    (let ((exec-path (list (make-temp-name "/nonexistent-"))))
      (llm-native-build-test--check-failure
       (llm-native-build-test--fail-build) "CMake is missing (no program cmake)"
       '("sudo apt install cmake" "sudo dnf install cmake" "sudo pacman -S cmake"
         "brew install cmake")))))

(ert-deftest llm-native-build-fails-without-compiler ()
  "A compiler that is not there: the failure names a C++ compiler."
  (llm-native-build-test--with-dirs
    (let ((llm-native-module-cmake-arguments '("-DCMAKE_CXX_COMPILER=/nonexistent/c++")))
      (llm-native-build-test--check-failure
       (llm-native-build-test--fail-build) "A C++17 compiler is missing"
       '("sudo apt install g++" "sudo dnf install gcc-c++" "sudo pacman -S gcc"
         "xcode-select --install")))))

(ert-deftest llm-native-build-fails-without-libcurl ()
  "Headers searched for where there are none: the failure names libcurl's."
  (llm-native-build-test--with-dirs
    (let ((llm-native-module-cmake-arguments
           '("-DCMAKE_FIND_ROOT_PATH=/nonexistent" "-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY"
             "-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY" "-DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY")))
      (llm-native-build-test--check-failure
       (llm-native-build-test--fail-build) "The libcurl headers are missing"
       '("sudo apt install libcurl4-openssl-dev" "sudo dnf install libcurl-devel"
         "sudo pacman -S curl" "brew install curl")))))

(ert-deftest llm-native-build-first-requests-wait-for-the-build ()
  "An automatic first build leaves the main loop free; requests wait for it.
Asynchronous requests made during the build start after it; one
cancelled during the build never starts; \\[keyboard-quit] ends a
synchronous call's wait, or a direct wait for the module, but not the
build; a synchronous call waits and returns.  A 50 ms repeating timer
measures the main loop's lateness."
  (should-not (featurep 'llm-native-module))
  (llm-native-build-test--with-dirs
    (let* ((base (llm-native-test-scenario (list :body "{\"answer\": \"ünï\"}")))
           (chat-base (llm-native-test-scenario
                       (list :fixture "openai-chat/text-usage.sse")))
           (ticks nil)
           (tick-timer (run-at-time 0.05 0.05 (lambda () (push (float-time) ticks))))
           (started (float-time))
           (a-records nil) (a-done nil)
           (chat-text nil) (chat-done nil)
           (cancelled-called nil)
           (quit-result nil)
           sync-result build-seconds handle-a handle-cancelled)
      (unwind-protect
          (progn
            ;; 1. An asynchronous request starts the build and returns at once.
            (setq handle-a (llm-native-request
                            :url (concat base "/a") :method "POST" :body "{}"
                            :on-record (lambda (r) (push r a-records))
                            :on-done (lambda (info) (setq a-done info))
                            :on-error (lambda (&rest e) (setq a-done (cons 'error e)))))
            (should (processp llm-native--build-process))
            (should-not (llm-native-handle-id handle-a))
            ;; 2. A chat, whose body the module builds, queues as well.
            (llm-native--chat-request
             :url (concat chat-base "/v1/chat/completions") :dialect "openai-chat"
             :prompt "{\"model\":\"m\",\"interactions\":[{\"role\":\"user\",\"content\":\"Hi\"}]}"
             :streaming t
             :on-progress (lambda (text _reasoning) (setq chat-text text))
             :on-done (lambda (result) (setq chat-done result))
             :on-error (lambda (&rest e) (setq chat-done (cons 'error e))))
            ;; 3. One cancelled during the build never runs.
            (setq handle-cancelled
                  (llm-native-request :url (concat base "/c")
                                      :on-record (lambda (_) (setq cancelled-called t))
                                      :on-done (lambda (_) (setq cancelled-called t))
                                      :on-error (lambda (&rest _) (setq cancelled-called t))))
            (llm-native-cancel handle-cancelled)
            ;; 4. C-g (a quit, here from a timer) ends a synchronous call's wait only.
            (run-at-time 0.3 nil (lambda () (setq quit-flag t)))
            (setq quit-result
                  (condition-case nil
                      (progn (llm-native-request-sync :url (concat base "/quit")) 'returned)
                    (quit 'quit)))
            (should (eq quit-result 'quit))
            (should (processp llm-native--build-process))
            ;; The same for a direct wait for the module (`llm-native--build-body' waits so).
            (run-at-time 0.3 nil (lambda () (setq quit-flag t)))
            (should (eq (condition-case nil (progn (llm-native--ensure-module) 'returned)
                          (quit 'quit))
                        'quit))
            (should (processp llm-native--build-process))
            ;; 5. A synchronous call waits for the build, then runs.
            (setq sync-result (llm-native-request-sync :url (concat base "/sync")))
            (setq build-seconds (- (float-time) started))
            (should (featurep 'llm-native-module))
            (should (file-exists-p (llm-native-module-file)))
            (should (equal sync-result '(:status 200 :records (((answer . "ünï"))))))
            (llm-native-test-wait-until (lambda () (and a-done chat-done)) 60)
            (llm-native-test-settle 0.2))
        (cancel-timer tick-timer))
      (should (equal a-done '(:status 200)))
      (should (equal a-records '(((answer . "ünï")))))
      (should (equal (plist-get chat-done :text) chat-text))
      (should (> (length chat-text) 0))
      (should-not cancelled-called)
      (should-not (llm-native-handle-id handle-cancelled))
      ;; Only the requests that were to run reached the server: a, sync and the chat.
      (should (equal (sort (mapcar (lambda (r) (alist-get 'path r)) (llm-native-test-requests base))
                           #'string<)
                     '("/a" "/sync")))
      (with-current-buffer llm-native-module-build-buffer
        (should (derived-mode-p 'compilation-mode))
        (should (string-search "Built target llm-native-module" (buffer-string))))
      ;; The main loop's lateness: the longest gap between two ticks, less the period.
      (let* ((times (nreverse ticks))
             (late (cl-loop for (a b) on times while b maximize (- b a 0.05))))
        (message "Build lateness: the main loop served a 50 ms timer %d times during a %.1f s build; max lateness %.0f ms"
                 (length times) build-seconds (* 1000 late))
        (should (> (length times) 10))
        (should (< late 1.0))))))

(ert-deftest llm-native-build-diagnosis-names-headers ()
  "CMake's and the compiler's words for a missing RapidJSON or emacs-module.h are read."
  (dolist (case '(("CMake Error at CMakeLists.txt:29 (find_path):\n  Could not find RAPIDJSON_INCLUDE_DIR using the following files:\n  rapidjson/document.h\n"
                   "RapidJSON is missing" "sudo apt install rapidjson-dev (Debian/Ubuntu)")
                  ("json_util.hpp:5:10: fatal error: rapidjson/document.h: No such file or directory\n"
                   "RapidJSON is missing" "brew install rapidjson (macOS)")
                  ("CMake Error at CMakeLists.txt:32 (find_path):\n  Could not find EMACS_MODULE_INCLUDE_DIR using the following files:\n  emacs-module.h\n"
                   "emacs-module.h is missing" "sudo dnf install emacs-devel (Fedora)")
                  ("Could NOT find CURL (missing: CURL_LIBRARY CURL_INCLUDE_DIR)\n"
                   "libcurl headers are missing" "sudo pacman -S curl (Arch)")
                  ("ld: some other trouble\n" "failed (cmake exited with status 2)" "see ")))
    (with-temp-buffer
      (insert (car case))
      (let ((message (llm-native--build-diagnosis (current-buffer)
                                                  "cmake exited with status 2")))
        (should (string-search (nth 1 case) message))
        (should (string-search (nth 2 case) message))))))

(provide 'llm-native-build-test)
;;; llm-native-build-test.el ends here
