// Side-effect module: registers every op's gradient with tfjs-core. '@tensorflow/tfjs-core' alone
// registers none (tf.grad then fails with "gradient function not found for Sum"); the gradient
// registrations ship with '@tensorflow/tfjs', the one import that provides them in both Node
// (its CommonJS bundle) and a browser bundle (its ES modules).
import '@tensorflow/tfjs'
